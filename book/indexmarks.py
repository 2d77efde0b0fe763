"""Index marks: `[borrow checker]{.index}` in a chapter, parsed once from pandoc's HTML into `IndexMark`s.

The syntax is pandoc's bracketed span with the class `index` (AUTHORING.md,
"Index marks"):

    [borrow checker]{.index}                          the marked words are the term
    [the checker]{.index term="borrow checker"}       the place, indexed under another term
    [two-phase borrows]{.index term="borrow" sub="two-phase"}   a sub-entry
    [`RefCell`]{.index see-also="interior mutability"}          the entry also says "see also ..."
    []{.index term="borrowck" see="borrow checker"}   a cross-reference only, with no page
    [Drop order]{.index .start} ... []{.index .end term="drop order"}   a range of pages

Pandoc writes these as `<span class="index" data-term="...">`; they are read
here, after the sanitiser, in document order, and each becomes an empty-handed
anchor the index can point at: `<span class="index-mark" id="part2-ix-3">the
marked words</span>`. A mark's text stays exactly as it was, so a mark never
changes what a reader sees. Backticks in an attribute (`term="`Rc<T>`"`) set
code, as in Markdown.
"""

from __future__ import annotations

import difflib
import html as html_lib
import re

from book.errors import Problem
from book.htmlparts import element_span
from book.locate import Locator
from book.model import Chapter, IndexMark

SPAN_TAG = re.compile(r"<(/?)span\b([^>]*)>")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
HEADING = re.compile(r"<h([1-6])\b[^>]*>.*?</h\1>", re.S)
TAG = re.compile(r"<[^>]+>")
CODE = re.compile(r"`([^`]+)`")
KEEP_TAG = re.compile(r"</?code>")
QUIZ = re.compile(r'data-construct="(quiz-\d+)"')
ATTRIBUTES = ("term", "sub", "see", "see-also")
CLASSES = ("index", "start", "end")


def mark_id(chapter: Chapter, number: int) -> str:
    return f"{chapter.key}-ix-{number}"


def code_html(text: str) -> str:
    """An attribute's text as inline HTML: escaped, with `backticks` as code."""
    return CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html_lib.escape(text, quote=False))


def plain(html: str) -> str:
    """Inline HTML as the words it shows."""
    return " ".join(html_lib.unescape(TAG.sub("", html)).split())


def term_html(inner: str) -> str:
    """The marked words as an index heading shows them: code stays code, links and emphasis go."""
    kept = []
    position = 0
    for match in TAG.finditer(inner):
        kept.append(inner[position:match.start()])
        if KEEP_TAG.fullmatch(match.group(0)):
            kept.append(match.group(0))
        position = match.end()
    kept.append(inner[position:])
    return " ".join("".join(kept).split())


def extract(chapter: Chapter, fragment: str) -> tuple[str, tuple[IndexMark, ...], list[Problem]]:
    """Every index mark of the chapter's HTML, in document order, replaced by its anchor.

    Returns the HTML, the marks and the problems, each at its line: a mark with
    no term, a class or attribute an index mark does not take, a mark in a
    heading, a self-check question or the series introduction, and ranges that
    are not closed or were never opened.
    """
    if 'class="index' not in fragment:
        return fragment, (), []
    locator = Locator(chapter.source)
    problems: list[Problem] = []
    marks: list[IndexMark] = []
    headings = [m.span() for m in HEADING.finditer(fragment)]
    quizzes = [span for key in QUIZ.findall(fragment) if (span := element_span(fragment, f'data-construct="{key}"'))]
    out: list[str] = []
    position = 0
    after = 1
    number = 0
    open_ranges: dict[tuple[str, str], tuple[int, IndexMark | None]] = {}  # (term, sub) -> index in marks
    for start, end, attributes, inner in _marks(fragment):
        line = locator.line_of(".index}", ".index ", ".index", after=after)
        after = line or after
        out.append(fragment[position:start])
        position = end

        def problem(message: str) -> None:
            problems.append(Problem(chapter.rel, line, message))

        classes = attributes.get("class", "").split()
        unknown = [c for c in classes if c not in CLASSES]
        if unknown:
            close = difflib.get_close_matches(unknown[0], CLASSES[1:], n=1)
            problem(f"an index mark takes the classes .start and .end (a range), not '.{unknown[0]}'"
                    + (f"; did you mean '.{close[0]}'?" if close else ""))
        text_html = term_html(inner)
        term = attributes.get("data-term", "").strip()
        given = code_html(term) if term else text_html
        if not plain(given):
            problem("this index mark has no term: mark words that are there ([borrow checker]{.index}) or name "
                    "the term (term=\"borrow checker\")")
        if any(a <= start < b for a, b in headings):
            problem("an index mark in a heading would change the heading's anchor on GitHub; mark the words in the "
                    "text under it")
        if any(a <= start < b for a, b in quizzes):
            problem("index marks in a self-check question would lead readers to its answer; mark the words in the "
                    "text around it")
        if chapter.kind == "intro":
            problem("the introduction's pages are numbered i, ii, iii, which the index does not print; mark the "
                    "words in a part or an appendix")
        if "start" in classes and "end" in classes:
            problem("an index mark is either .start or .end of a range, not both")
        see = attributes.get("data-see", "").strip()
        if see and ("start" in classes or "end" in classes):
            problem("a see-reference has no pages, so it cannot start or end a range; drop .start or .end")
        if "data-see" in attributes and not see or "data-see-also" in attributes \
                and not attributes["data-see-also"].strip() or "data-sub" in attributes \
                and not attributes["data-sub"].strip():
            problem("an index mark's see, see-also or sub is empty; give the term it means or leave it out")
        sub = attributes.get("data-sub", "").strip()
        also = tuple(code_html(t.strip()) for t in attributes.get("data-see-also", "").split(";") if t.strip())
        key = (plain(given).lower(), plain(code_html(sub)).lower())
        anchor = "" if see else attributes.get("id") or mark_id(chapter, number := number + 1)
        mark = IndexMark(line=line or 0, id=anchor, term=given, sub=code_html(sub) if sub else "",
                         see=code_html(see) if see else "", see_also=also, text=plain(inner))
        if "end" in classes:
            opened = open_ranges.pop(key, None)
            if opened is None:
                problem(f"this index mark ends a range of '{plain(given)}' that no .start mark opened before it "
                        "in this chapter")
            else:
                marks[opened[0]] = _with_end(marks[opened[0]], anchor)
        else:
            if "start" in classes:
                if key in open_ranges:
                    problem(f"a range of '{plain(given)}' is already open (line {marks[open_ranges[key][0]].line}); "
                            "close it with []{.index .end} first")
                open_ranges[key] = (len(marks), mark)
            marks.append(mark)
        if anchor:
            out.append(f'<span class="index-mark" id="{anchor}">{inner}</span>')
        else:
            out.append(inner)
    out.append(fragment[position:])
    for index, _ in open_ranges.values():
        problems.append(Problem(chapter.rel, marks[index].line or None,
                                f"the range of '{plain(marks[index].term)}' opened here is never closed: end it with "
                                f"[]{{.index .end term=\"{plain(marks[index].term)}\"}}"))
    return "".join(out), tuple(marks), problems


def _with_end(mark: IndexMark, end: str) -> IndexMark:
    from dataclasses import replace

    return replace(mark, end=end)


def _marks(fragment: str):  # type: ignore[no-untyped-def]
    """(start, end, attributes, inner HTML) of each `<span class="index ...">`, outermost first, in order."""
    position = 0
    while True:
        found = fragment.find('<span class="index', position)
        if found < 0:
            return
        tag = SPAN_TAG.match(fragment, found)
        if tag is None:
            position = found + 1
            continue
        attributes = {name: html_lib.unescape(value) for name, value in ATTRIBUTE.findall(tag.group(2))}
        if "index" not in attributes.get("class", "").split():
            position = tag.end()
            continue
        level = 0
        for match in SPAN_TAG.finditer(fragment, found):
            level += -1 if match.group(1) else 1
            if level == 0:
                yield found, match.end(), attributes, fragment[tag.end():match.start()]
                position = match.end()
                break
        else:
            return
