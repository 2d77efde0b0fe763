"""The back-of-book index, gathered once from the converted book into `BookIndex`.

Entries come from three places:

- The glossary (`[index] glossary` in book.toml): every `### Term` is an entry,
  and each of its "See [Part N](./NN_file.md#section)" links is a place. The
  place is the section itself, as a range of pages from its heading to the last
  words in it that name the term, when its heading names the term; otherwise it
  is the first words in that section that name the term
  (in its main text, then in its asides), where an anchor is set. A term that
  its section never names is reported at the glossary's link: the author marks
  the place, or links to a section that names it. The glossary's own entry is a
  place too, printed in italics. Links from one glossary entry to another become
  "see also". A term whose first word is another term ("Lifetime elision" under
  "Lifetime") becomes its sub-entry, and a heading that names several things
  (`` `Box::into_raw` and `Box::from_raw` ``, "Alignment and padding") becomes
  one entry for each.
- The authors' marks (`book.indexmarks`): a place for the term they name (the
  glossary's entry when it is one), a sub-entry, a range, "see" and "see also".
- Compiler error codes, for the separate index of errors: in each part, a
  heading that names a code (its section is a range), every rejected listing
  annotated with it (outside the exercises), and every mention in the text; a
  link whose text is a code (the cheat sheet's table) leads to its explanation,
  and the table's next cell says what the error means. Otherwise the meaning is
  rustc's own message, from the first listing it rejected.

Places are kept in reading order, which is page order; a place inside a range
of the same entry adds nothing and is dropped here, before any layout. What
remains is printed as page numbers (`book.targets.pagerefs` fills them in after
the single layout) and linked in the web edition and the EPUB.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
import html as html_lib
import re
from dataclasses import dataclass, field, replace

from book.errors import Problem
from book.locate import Locator
from book.model import (Aside, Book, BookIndex, Box, Chapter, IndexEntry, IndexLocator, IndexMark)

ERROR_CODE = re.compile(r"\bE0\d{3}\b")
CODE_ONLY = re.compile(r"^E\d{4}$")
HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")
TOKEN = re.compile(r"<[^>]+>|[^<]+")
WORD = re.compile(r"[A-Za-z0-9_]+")
CODE_SPAN = re.compile(r"<code>(.*?)</code>", re.S)
LINK = re.compile(r'<a href="#([^"]+)" data-xref="([^"]+)"[^>]*>(.*?)</a>', re.S)
LISTING_LABEL = re.compile(r'(<div class="listing listing-compile-fail" data-listing="(\d+)"><p class="listing-label">)')
RESULT_ERROR = re.compile(r"error\[(E\d{4})\]: ([^\n]*)")
TABLE_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
BLOCK_TAGS = frozenset("p li div pre h1 h2 h3 h4 h5 h6 td th dt dd br blockquote table tr section figure "
                       "figcaption summary details ul ol".split())
SKIPPED = frozenset({"pre", "h1", "h2", "h3", "h4", "h5", "h6"})  # listings, and headings (read as headings)
SPLIT = re.compile(r",\s+(?:and\s+)?|\s+and\s+")
INLINE_CODE = re.compile(r"`([^`]+)`")
IRREGULAR = {"indices": "index", "vertices": "vertex", "children": "child", "data": "data"}


# ---- words ---------------------------------------------------------------------------------------

def lemma(word: str) -> str:
    """A crude, consistent base form: "dropped", "drops", "dropping" and "drop" all give "drop".

    Only inflections are removed (plural, possessive, -ed, -ing), never
    derivations, so "reference" and "refers" stay apart (a Porter stemmer
    would make both "refer").
    """
    w = word.lower().replace("’", "'")
    w = w.removesuffix("'s")
    w = IRREGULAR.get(w, w)
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("sses"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("es") and w[:-2].endswith(("s", "x", "z", "ch", "sh")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ias")):
        w = w[:-1]
    elif len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if w.endswith("ck"):
        w = w[:-1]
    return w


def key_of(html: str) -> str:
    """What two spellings of one term share: "Borrow checkers" and "borrow checker" give one key.

    Words are compared by their base forms; code only as written (`` `Drop` ``
    is not "dropping").
    """
    parts = []
    for piece in re.split(r"(<code>.*?</code>)", html.replace("`", "")):
        if piece.startswith("<code>"):
            parts.append("`" + plain(piece) + "`")
        else:
            text = html_lib.unescape(TAG.sub("", piece))
            parts.extend(lemma(t) if t[0].isalnum() else t for t in re.findall(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]+", text))
    return " ".join(p for p in parts if p)


def plain(html: str) -> str:
    return " ".join(html_lib.unescape(TAG.sub("", html)).split())


def sort_key(html: str) -> str:
    """Sorted as the glossary is: case, punctuation and type parameters ignored (`Rc<T>` under R, `'static` under S)."""
    text = re.sub(r"<[^<>]*>", "", plain(html).replace("<", "\0<").replace(">", ">\0"))  # drop type parameters
    text = re.sub(r"\0[^\0]*\0", "", text) if "\0" in text else text
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(words) or plain(html).lower()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", plain(text).lower()).strip("-") or "symbol"


def code_html(text: str) -> str:
    return INLINE_CODE.sub(lambda m: f"<code>{m.group(1)}</code>", html_lib.escape(text, quote=False))


# ---- where the words are: a chapter's text with positions ------------------------------------------

@dataclass
class Text:
    """The words of an HTML document (a chapter or an aside) outside listings and headings, with their offsets."""

    html: str
    flat: str = ""
    offsets: list[int] = field(default_factory=list)  # flat index -> HTML index
    words: list[tuple[int, int, str]] = field(default_factory=list)  # (flat start, flat end, lemma)

    def __post_init__(self) -> None:
        flat: list[str] = []
        offsets: list[int] = []
        skipping: list[str] = []
        for match in TOKEN.finditer(self.html):
            token = match.group(0)
            if token.startswith("<"):
                name = re.match(r"</?([a-zA-Z0-9]+)", token)
                tag = name.group(1).lower() if name else ""
                closing = token.startswith("</")
                if closing and skipping and skipping[-1] == tag:
                    skipping.pop()
                elif not closing and (skipping or tag in SKIPPED or token.startswith('<p class="listing-label"')) \
                        and not token.endswith("/>") and tag not in ("br", "img", "col", "input", "wbr", "hr"):
                    skipping.append(tag)
                if tag in BLOCK_TAGS:
                    flat.append("\n")
                    offsets.append(match.start())
                continue
            if skipping:
                continue
            flat.append(token)
            offsets.extend(range(match.start(), match.end()))
        self.flat = "".join(flat)
        self.offsets = offsets
        self.words = [(m.start(), m.end(), lemma(m.group(0))) for m in WORD.finditer(self.flat)]
        self.word_offsets = [offsets[w[0]] for w in self.words]

    def find(self, form: Form, start: int = 0, end: int | None = None) -> int | None:
        """HTML offset of the first place in [start, end) (HTML offsets) that names `form`, or None."""
        end = len(self.html) if end is None else end
        if form.code:
            pattern = form.pattern()
            for match in pattern.finditer(self.flat):
                at = self.offsets[match.start()]
                if start <= at < end:
                    return at
                if at >= end:
                    return None
            return None
        lemmas = form.lemmas
        words = self.words
        for i in range(bisect.bisect_left(self.word_offsets, start), len(words) - len(lemmas) + 1):
            at = self.word_offsets[i]
            if at >= end:
                return None
            if all(words[i + k][2] == lemmas[k] for k in range(len(lemmas))) and all(
                    _separator(self.flat[words[i + k][1]:words[i + k + 1][0]]) == form.separators[k]
                    and "\n" not in self.flat[words[i + k][1]:words[i + k + 1][0]]
                    for k in range(len(lemmas) - 1)):
                return at
        return None


def _separator(text: str) -> str:
    return re.sub(r"[\s\u00a0\u2011-]+", "", text)


@dataclass(frozen=True)
class Form:
    """One way the book writes a term: words (matched by their base forms) or code (matched exactly)."""

    text: str  # plain text
    code: bool

    @property
    def lemmas(self) -> tuple[str, ...]:
        return tuple(lemma(w) for w in WORD.findall(self.text))

    @property
    def separators(self) -> tuple[str, ...]:
        """What stands between its words, spaces and hyphens aside: "Safe, but rejected" has a comma."""
        return tuple(_separator(s) for s in re.split(r"[A-Za-z0-9_]+", self.text)[1:-1])

    def pattern(self) -> re.Pattern[str]:
        escaped = re.escape(html_lib.escape(self.text, quote=False))
        before = r"(?<![A-Za-z0-9_])" if self.text[0].isalnum() or self.text[0] == "_" else ""
        after = r"(?![A-Za-z0-9_])" if self.text[-1].isalnum() or self.text[-1] == "_" else ""
        return re.compile(before + escaped + after)

    def named_by(self, html: str) -> bool:
        """Whether inline HTML (a heading) names this form."""
        return Text(f"<p>{html}</p>").find(self) is not None


def forms_of(html: str) -> tuple[Form, ...]:
    """The forms of a term given as inline HTML: `Rc<T>` is found as `Rc<T>` and `Rc`; words by their base forms."""
    codes = [html_lib.unescape(c) for c in CODE_SPAN.findall(html)]
    rest = plain(CODE_SPAN.sub(" ", html))
    forms: list[Form] = []
    if codes and not WORD.search(rest):
        for code in codes:
            forms.append(Form(code, True))
            bare = re.sub(r"<[^<>]*>$", "", code)
            if bare != code and bare:
                forms.append(Form(bare, True))
    else:
        whole = plain(html)
        if WORD.search(whole):
            forms.append(Form(whole, False))
        forms.extend(Form(code, True) for code in codes if WORD.search(code))
    return tuple(dict.fromkeys(forms))


# ---- the index as it is gathered ------------------------------------------------------------------

@dataclass
class Place:
    chapter: int  # index in book.chapters
    start: str  # anchor id
    end: str = ""
    definition: bool = False
    source: tuple[str, int | None] | None = None  # where it was asked for, for messages


@dataclass
class Node:
    html: str
    key: str
    forms: list[Form] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # marked words
    places: list[Place] = field(default_factory=list)
    subs: dict[str, "Node"] = field(default_factory=dict)
    see: list[tuple[str, str, int | None]] = field(default_factory=list)  # (term HTML, chapter rel, line)
    see_also: list[tuple[str, str, int | None]] = field(default_factory=list)
    description: str = ""
    parent: "Node | None" = None


class Gatherer:
    """Reads the converted book, sets the anchors the index needs, and keeps the entries."""

    def __init__(self, book: Book):
        self.book = book
        self.chapters = list(book.chapters)
        self.texts: dict[tuple[int, str], Text] = {}  # (chapter, "" or construct key) -> its text
        self.terms: dict[str, Node] = {}  # key -> top-level node
        self.codes: dict[str, Node] = {}
        self.aliases: dict[str, Node] = {}  # key of any spelling -> node (top-level or sub-entry)
        self.problems: list[Problem] = []
        self.pending: dict[tuple[int, str], dict[int, str]] = {}  # (chapter, construct) -> offset -> anchor id
        self.anchors = 0
        self.cases = self._word_cases()

    # -- anchors --

    def text(self, chapter: int, construct: str = "") -> Text:
        key = (chapter, construct)
        if key not in self.texts:
            c = self.chapters[chapter]
            html = c.html if not construct else getattr(c.construct(construct), "html", "")
            self.texts[key] = Text(html)
        return self.texts[key]

    def set_anchor(self, chapter: int, construct: str, at: int, prefix: str = "g") -> str:
        """An empty anchor at HTML offset `at` of the chapter (or of one of its constructs); returns its id.

        Anchors are only noted here and set by `flush`, so every offset read
        from the chapters stays true until then; one offset gets one anchor.
        """
        spots = self.pending.setdefault((chapter, construct), {})
        if at not in spots:
            self.anchors += 1
            spots[at] = f"{self.chapters[chapter].key}-ix-{prefix}{self.anchors}"
        return spots[at]

    def flush(self) -> None:
        """Set every anchor noted by `set_anchor` into the chapters' HTML."""
        for (chapter, construct), spots in sorted(self.pending.items()):
            c = self.chapters[chapter]
            html = c.html if not construct else c.construct(construct).html
            for at in sorted(spots, reverse=True):
                html = html[:at] + f'<span class="index-mark" id="{spots[at]}"></span>' + html[at:]
            if construct:
                part = c.construct(construct)
                c = replace(c, constructs=tuple(replace(x, html=html) if x is part else x for x in c.constructs))
            else:
                c = replace(c, html=html)
            self.chapters[chapter] = replace(c, ids=c.ids | set(spots.values()))
        self.pending.clear()
        self.texts.clear()

    def section(self, chapter: int, element_id: str) -> tuple[int, int, str] | None:
        """(start, end, heading HTML) of the section a heading opens, in the chapter's HTML."""
        html = self.chapters[chapter].html
        headings = list(HEADING.finditer(html))
        for i, match in enumerate(headings):
            if match.group(2) == element_id:
                level = int(match.group(1))
                end = next((h.start() for h in headings[i + 1:] if int(h.group(1)) <= level), len(html))
                return match.start(), end, match.group(3)
        return None

    def last_mention(self, chapter: int, forms: list[Form], start: int, end: int) -> str:
        """An anchor at the last words in [start, end) of the chapter's main text that name a form ("" if none).

        A section whose heading names a term runs, in the index, from its heading
        to this place: so the last page of the range names the term too.
        """
        text = self.text(chapter)
        last = -1
        for form in forms:
            at = text.find(form, start, end)
            while at is not None:
                last = max(last, at)
                at = text.find(form, at + 1, end)
        return self.set_anchor(chapter, "", last, prefix="end") if last >= 0 else ""

    def first_place(self, chapter: int, forms: list[Form], start: int, end: int) -> str | None:
        """An anchor at the first words in [start, end) of the chapter that name a form: the main text, then the
        asides and boxes whose placeholders lie there."""
        found = [at for form in forms if (at := self.text(chapter).find(form, start, end)) is not None]
        if found:
            return self.set_anchor(chapter, "", min(found))
        html = self.chapters[chapter].html
        for match in re.finditer(r'<div data-construct="((?:deeper|ub|safe)-\d+)"></div>', html[start:end]):
            key = match.group(1)
            aside = self.chapters[chapter].construct(key)
            if isinstance(aside, Aside) and any(form.named_by(aside.title) for form in forms):
                return self.set_anchor(chapter, key, 0)  # the aside's title names it: where the aside begins
            hits = [at for form in forms if (at := self.text(chapter, key).find(form)) is not None]
            if hits:
                return self.set_anchor(chapter, key, min(hits))
        return None

    def marked_in(self, chapter: int, element_id: str, node: Node) -> bool:
        """Whether an author's mark for the term stands in the section `#element_id` opens."""
        c = self.chapters[chapter]
        section = self.section(chapter, element_id)
        for mark in c.index_marks:
            if not mark.id or mark.sub or self.lookup(mark.term) is not node:
                continue
            at = c.html.find(f'id="{mark.id}"')
            if at < 0:  # in an aside or a box: where that stands
                owner = next((x for x in c.constructs if f'id="{mark.id}"' in getattr(x, "html", "")), None)
                at = c.html.find(f'data-construct="{owner.key}"') if owner else -1
                if owner is not None and getattr(owner, "id", "") == element_id:
                    return True
            if section is not None and section[0] <= at < section[1]:
                return True
        return False

    def place_for(self, chapter: int, element_id: str, forms: list[Form]) -> Place | None:
        """Where a link to `#element_id` leads the index for a term: the section as a range if its heading names
        the term, else the first words there that name it (None if nothing there does)."""
        section = self.section(chapter, element_id)
        if section is not None:
            start, end, heading = section
            if any(form.named_by(heading) for form in forms):
                return Place(chapter, element_id, self.last_mention(chapter, forms, start, end))
            anchor = self.first_place(chapter, forms, start, end)
            return Place(chapter, anchor) if anchor else None
        c = self.chapters[chapter]
        for construct in c.constructs:  # an aside or a box with that id
            if getattr(construct, "id", "") == element_id and isinstance(construct, (Aside, Box)):
                text = self.text(chapter, construct.key)
                hits = [at for form in forms if (at := text.find(form)) is not None]
                if isinstance(construct, Aside) and any(form.named_by(construct.title) for form in forms):
                    return Place(chapter, element_id)
                return Place(chapter, self.set_anchor(chapter, construct.key, min(hits))) if hits else None
        position = c.html.find(f'id="{element_id}"')
        if position >= 0:
            following = self.first_place(chapter, forms, position, min(len(c.html), position + 3000))
            return Place(chapter, following) if following else None
        return None

    # -- entries --

    def node(self, table: dict[str, Node], html: str, parent: Node | None = None) -> Node:
        key = key_of(html)
        found = (parent.subs if parent else table).get(key)
        if found is None:
            found = Node(html=html, key=key, forms=list(forms_of(html)), parent=parent)
            (parent.subs if parent else table)[key] = found
            if parent is None:
                self.aliases.setdefault(key, found)
        return found

    def lookup(self, html: str) -> Node | None:
        """The entry a mark or a reference names: as written, or its words taken as code (term="Rc<T>" is the
        glossary's `Rc<T>`), or without type parameters (`Rc`)."""
        text = plain(html)
        code = f"<code>{html_lib.escape(text, quote=False)}</code>"
        for candidate in (html, code, re.sub(r"&lt;.*&gt;", "", code)):
            found = self.aliases.get(key_of(candidate))
            if found is not None:
                return found
        return None

    def _word_cases(self) -> Counter[str]:
        """How often the book's prose writes each word capitalised in mid-sentence, and in lower case."""
        counts: Counter[str] = Counter()
        for chapter in self.chapters:
            prose = TAG.sub(" ", re.sub(r"<(pre|code|h[1-6])\b.*?</\1>", " ", chapter.html, flags=re.S))
            counts.update(re.findall(r"(?<=[a-z,;] )[A-Z][a-z]+(?:-[a-z]+)*\b", prose))
            counts.update(re.findall(r"\b[a-z]+(?:-[a-z]+)*\b", prose))
        return counts

    def display(self, heading: str) -> str:
        """A glossary heading as an index heading: "Borrow checker" reads "borrow checker"; names the book
        capitalises in mid-sentence ("Miri", "Stacked Borrows") and acronyms ("RAII") keep their capitals."""
        if heading.startswith("<"):
            return heading
        words = plain(heading).split()
        first = words[0]
        if len(first) > 1 and first[0].isupper() and first[1:].replace("-", "").islower() \
                and not any(w[:1].isupper() for w in words[1:]) \
                and self.cases[first.lower()] >= self.cases[first]:
            return first[0].lower() + heading[1:]
        return heading


# ---- glossary ----------------------------------------------------------------------------------------

def _glossary(g: Gatherer) -> None:
    name = g.book.meta.glossary
    index = next((i for i, c in enumerate(g.chapters) if c.name == name), None)
    if index is None:
        return
    glossary = g.chapters[index]
    keys = {c.key: i for i, c in enumerate(g.chapters)}
    html = glossary.html
    headings = [m for m in HEADING.finditer(html) if m.group(1) in "23"]
    links = iter(link for link in glossary.links if not link.is_image)
    lines = {h.text: h.line for h in glossary.headings if h.level == 3}
    entries = []
    for i, match in enumerate(headings):
        if match.group(1) != "3":
            continue
        end = headings[i + 1].start() if i + 1 < len(headings) else len(html)
        entries.append((match.group(2), match.group(3).strip(), html[match.end():end]))
    by_id: dict[str, list[Node]] = {}
    pending: list[tuple[list[Node], str, list[tuple[str, str, int | None]]]] = []
    link_lines = _link_lines(glossary, g.chapters)
    heading_lines = iter(sorted(lines.values()))
    for entry_id, heading, body in entries:
        line = next(heading_lines, None)
        terms = _split_heading(heading)
        nodes = []
        for term in terms:
            node = g.node(g.terms, g.display(term))
            node.places.append(Place(index, entry_id, definition=True))
            nodes.append(node)
        by_id[entry_id] = nodes
        targets = []
        for target, key, text in LINK.findall(body):
            where = link_lines.get(target)
            if key == glossary.key:
                targets.append(("see-also", target, where))
            elif key in keys:
                targets.append(("place", target, where))
        places = [t for t in targets if t[0] == "place"]
        if not places:
            g.problems.append(Problem(glossary.rel, line, f"the glossary entry '{plain(heading)}' links to no part: "
                                      "the index needs a place for it; end it with "
                                      "See [Part N](./NN_file.md#section)"))
        for node, term in zip(nodes, terms):
            missing = []
            for _, target, where in places:
                chapter = keys[g.book.chapter_for_id(target).key]
                if g.marked_in(chapter, target, node):
                    continue  # the author's mark there is the place (see _marks)
                place = g.place_for(chapter, target, node.forms)
                if place is None:
                    missing.append((chapter, target, where))
                    continue
                place.source = (glossary.rel, where)
                node.places.append(place)
            if len(terms) > 1 and len(missing) < len(places):
                continue  # one of several terms of a heading needs only one of the heading's places
            for chapter, target, where in missing:
                g.problems.append(Problem(
                    glossary.rel, where, f"'{plain(term)}': the section this links to ({g.chapters[chapter].label} "
                    f"#{target.removeprefix(g.chapters[chapter].key + '-')}) never names it, so the index would "
                    f"send readers to a page without it; mark the place there "
                    f"([words]{{.index term=\"{plain(term)}\"}}) or link to a section that names it"))
        pending.append((nodes, entry_id, [(t, glossary.rel, w) for kind, t, w in targets if kind == "see-also"]))
    for nodes, entry_id, also in pending:
        for target, rel, where in also:
            for other in by_id.get(target, []):
                for node in nodes:
                    if other is not node:
                        node.see_also.append((other.html, rel, where))
    _group(g)


def _link_lines(chapter: Chapter, chapters: list[Chapter]) -> dict[str, int | None]:
    """Line of the first link to each in-book anchor, keyed by the anchor as the chapter's HTML has it."""
    keys = {c.name: c.key for c in chapters}
    lines: dict[str, int | None] = {}
    for link in chapter.links:
        target = link.target
        if target.startswith("#"):
            anchor = f"{chapter.key}-{target[1:]}"
        else:
            match = re.match(r"(?:\./)?([A-Za-z0-9_]+\.md)(?:#(.*))?$", target)
            if not match or match.group(1) not in keys:
                continue
            key = keys[match.group(1)]
            anchor = f"{key}-{match.group(2)}" if match.group(2) else key
        lines.setdefault(anchor, link.line or None)
    return lines


def _split_heading(heading: str) -> list[str]:
    """"`Box::into_raw` and `Box::from_raw`" names two terms, "Alignment and padding" two; "Safe, but rejected" one.

    A heading is split at "and" and commas when every part is code, or when every
    part is one or two plain words. "`Pin` and the drop guarantee" keeps its
    code as the term and the rest as a sub-entry ("Pin: and the drop guarantee").
    """
    parts = [p.strip() for p in SPLIT.split(heading) if p.strip()]
    if len(parts) < 2:
        return [heading]
    if all(re.fullmatch(r"<code>[^<]*</code>", p) for p in parts):
        return parts
    if all("<" not in p and len(p.split()) <= 2 for p in parts) and "," not in heading:
        return [parts[0]] + [p[0].upper() + p[1:] if parts[0][:1].isupper() else p for p in parts[1:]]
    return [heading]


def _group(g: Gatherer) -> None:
    """"Lifetime annotation", "Lifetime bound" ... become sub-entries of "Lifetime", when that is a term too."""
    for key, node in list(g.terms.items()):
        words = plain(node.html).split()
        if len(words) < 2 or node.html.startswith("<"):
            continue
        parent = g.terms.get(key_of(words[0]))
        if parent is None or parent is node or parent.html.startswith("<") \
                or plain(parent.html).lower() != words[0].lower():
            continue
        del g.terms[key]
        node.html = node.html.split(" ", 1)[1]
        node.parent = parent
        parent.subs[key_of(node.html)] = node
        g.aliases[key] = node


# ---- marks ----------------------------------------------------------------------------------------

def _marks(g: Gatherer) -> None:
    for index, chapter in enumerate(g.chapters):
        for mark in chapter.index_marks:
            _mark(g, index, chapter, mark)


def _mark(g: Gatherer, index: int, chapter: Chapter, mark: IndexMark) -> None:
    table = g.codes if CODE_ONLY.match(plain(mark.term)) else g.terms
    node = g.lookup(mark.term) if not mark.sub else None
    if node is None and not mark.sub:
        node = g.node(table, g.display(mark.term))
    if mark.sub:
        parent = g.lookup(mark.term) or g.node(table, g.display(mark.term))
        while parent.parent is not None:
            parent = parent.parent
        node = g.node(table, mark.sub, parent=parent)
        g.aliases.setdefault(key_of(plain(parent.html) + " " + plain(mark.sub)), node)
    if mark.text and mark.text not in node.texts:
        node.texts.append(mark.text)
    if mark.see:
        node.see.append((mark.see, chapter.rel, mark.line or None))
    for also in mark.see_also:
        node.see_also.append((also, chapter.rel, mark.line or None))
    if mark.id:
        node.places.append(Place(index, mark.id, mark.end, source=(chapter.rel, mark.line or None)))


# ---- error codes --------------------------------------------------------------------------------------

def _codes(g: Gatherer) -> None:
    descriptions: dict[str, str] = {}
    messages: dict[str, list[str]] = {}
    for index, chapter in enumerate(g.chapters):
        html = chapter.html
        for match in RESULT_ERROR.finditer(html):
            messages.setdefault(match.group(1), []).append(plain(match.group(2)))
        if chapter.kind != "part":
            continue
        exercises = next((h.start() for h in HEADING.finditer(html) if h.group(1) == "2"
                          and plain(h.group(3)) == "Exercises"), len(html))
        for heading in HEADING.finditer(html):
            if heading.group(1) in "23" and heading.start() < exercises:
                for code in dict.fromkeys(ERROR_CODE.findall(plain(heading.group(3)))):
                    section = g.section(index, heading.group(2))
                    end = g.last_mention(index, [Form(code, True)], section[0], section[1]) if section else ""
                    g.node(g.codes, code).places.append(Place(index, heading.group(2), end))
        blocks = {b.line: b for b in chapter.code_blocks}
        for match in reversed(list(LISTING_LABEL.finditer(g.chapters[index].html))):
            block = blocks.get(int(match.group(2)))
            if block is None or match.start() >= exercises:
                continue
            for code in block.error_codes:
                g.node(g.codes, code).places.append(Place(index, g.set_anchor(index, "", match.end(), prefix="e")))
        _mentions(g, index, "", exercises)
        for construct in chapter.constructs:
            if isinstance(construct, (Aside, Box)):
                placeholder = g.chapters[index].html.find(f'data-construct="{construct.key}"')
                if 0 <= placeholder < _exercises(g.chapters[index].html):
                    _mentions(g, index, construct.key, None)
    quoted: dict[str, str] = {}  # rustc's message from a row that starts with its code(s): Part 10's table
    for index, chapter in enumerate(g.chapters):  # links whose text is a code: the cheat sheet's table
        for row in TABLE_ROW.findall(chapter.html):
            cells = CELL.findall(row)
            codes = [c.strip() for c in plain(cells[0]).split(",")] if len(cells) > 1 else []
            if codes and all(CODE_ONLY.match(code) for code in codes) and plain(cells[1]).strip():
                for code in codes:
                    quoted.setdefault(code, cells[1].strip())
            for number, cell in enumerate(cells):
                link = LINK.fullmatch(cell.strip())
                if link and CODE_ONLY.match(plain(link.group(3))) and number + 1 < len(cells):
                    descriptions.setdefault(plain(link.group(3)), cells[number + 1].strip())
        for target, key, text in LINK.findall(chapter.html):
            code = plain(text)
            if CODE_ONLY.match(code):
                owner = g.book.chapter_for_id(target)
                if owner is None:
                    continue
                where = next(i for i, c in enumerate(g.chapters) if c.key == owner.key)
                place = g.place_for(where, target, [Form(code, True)])
                if place is not None:
                    g.node(g.codes, code).places.append(place)
    for code, node in g.codes.items():
        name = plain(node.html)
        node.description = descriptions.get(name) or quoted.get(name) or _message(messages.get(name, []))


def _exercises(html: str) -> int:
    return next((h.start() for h in HEADING.finditer(html) if h.group(1) == "2" and plain(h.group(3)) == "Exercises"),
                len(html))


def _mentions(g: Gatherer, index: int, construct: str, before: int | None) -> None:
    """Every error code named in the text (not in listings or headings) of a chapter or one of its asides."""
    text = g.text(index, construct)
    found = [(text.offsets[m.start()], m.group(0)) for m in ERROR_CODE.finditer(text.flat)]
    for at, code in reversed(found):  # from the end, so earlier offsets stay true
        if before is None or at < before:
            g.node(g.codes, code).places.append(Place(index, g.set_anchor(index, construct, at, prefix="e")))


def _message(messages: list[str]) -> str:
    """What rustc says, in general: the most common message, names left out (`cannot borrow `…` as mutable`)."""
    general = [re.sub(r":\s*`[^`]*`$", "", re.sub(r"`[^`]*`", "`…`", m)) for m in messages]
    general = [re.sub(r"`…`(?=$)", "", m).rstrip(": ") for m in general]
    if not general:
        return ""
    best = max(dict.fromkeys(general), key=general.count)
    return code_html(best)


# ---- order, see-references, the result -------------------------------------------------------------

def gather(book: Book) -> tuple[Book, list[Problem]]:
    """The book with the anchors the index needs set, and its `BookIndex`; problems at `file:line`."""
    g = Gatherer(book)
    _glossary(g)
    _marks(g)
    _codes(g)
    g.flush()
    order = _positions(g.chapters)
    ids: dict[int, str] = {}
    used: set[str] = set()
    terms = tuple(_entry(g, node, order, ids, used, "index") for node in _sorted(g.terms.values()))
    codes = tuple(_entry(g, node, order, ids, used, "error")
                  for node in sorted(g.codes.values(), key=lambda n: plain(n.html)))
    terms = tuple(_resolve(g, entry, node, ids) for entry, node in zip(terms, _sorted(g.terms.values())))
    return replace(book, chapters=tuple(g.chapters), index=BookIndex(terms=terms, codes=codes)), g.problems


def _sorted(nodes) -> list[Node]:  # type: ignore[no-untyped-def]
    return sorted(nodes, key=lambda n: (sort_key(n.html), plain(n.html)))


def _positions(chapters: list[Chapter]) -> dict[str, tuple[int, int]]:
    """Reading order of every anchor: (chapter, offset); an anchor in an aside is where the aside stands."""
    order: dict[str, tuple[int, int]] = {}
    for index, chapter in enumerate(chapters):
        for match in re.finditer(r'\sid="([^"]+)"', chapter.html):
            order.setdefault(match.group(1), (index, match.start()))
        for construct in chapter.constructs:
            at = chapter.html.find(f'data-construct="{construct.key}"')
            for match in re.finditer(r'\sid="([^"]+)"', getattr(construct, "html", "")):
                order.setdefault(match.group(1), (index, at))
            if getattr(construct, "id", ""):
                order.setdefault(construct.id, (index, at))
    return order


def _entry(g: Gatherer, node: Node, order: dict[str, tuple[int, int]], ids: dict[int, str], used: set[str],
           prefix: str) -> IndexEntry:
    base = f"{prefix}-{slug(node.html)}" if node.parent is None else f"{ids[id(node.parent)]}-{slug(node.html)}"
    entry_id = base
    number = 1
    while entry_id in used:
        number += 1
        entry_id = f"{base}-{number}"
    used.add(entry_id)
    ids[id(node)] = entry_id
    places = sorted((p for p in node.places if p.start in order), key=lambda p: (order[p.start], not p.definition))
    kept: list[Place] = []
    for place in places:  # a place inside a range of the same entry adds nothing; one anchor once
        if any(k.start == place.start or (k.end and order[k.start] <= order[place.start] <= order.get(k.end, (-1, -1)))
               for k in kept):
            continue
        kept.append(place)
    locators = tuple(IndexLocator(start=p.start, end=p.end, chapter=g.chapters[p.chapter].key,
                                  label=g.chapters[p.chapter].label or g.chapters[p.chapter].title,
                                  section=_section(g.chapters[p.chapter], order[p.start][1]),
                                  definition=p.definition) for p in kept)
    subs = tuple(_entry(g, sub, order, ids, used, prefix) for sub in _sorted(node.subs.values()))
    forms = tuple(dict.fromkeys([*(f.text for f in node.forms), *node.texts]))
    if node.parent is not None:
        forms = tuple(dict.fromkeys([*forms, *(f.text for f in forms_of(f"{node.parent.html} {node.html}"))]))
    return IndexEntry(id=entry_id, html=node.html, sort=sort_key(node.html), forms=forms, locators=locators,
                      subentries=subs, description=node.description)


def _section(chapter: Chapter, position: int) -> str:
    """The `##` or `###` section a place is in, as text (the chapter's title before the first): what a link to it
    says on screen. A heading's own anchor is inside it, so a heading starting at or before `position` counts."""
    heading = chapter.title
    for match in HEADING.finditer(chapter.html):
        if match.start() > position:
            break
        if match.group(1) in "23":
            heading = plain(match.group(3))
    return heading


def _resolve(g: Gatherer, entry: IndexEntry, node: Node, ids: dict[int, str]) -> IndexEntry:
    """Fill in "see" and "see also" with the entries they name; a name that is no entry is a problem at its line."""
    def targets(refs: list[tuple[str, str, int | None]], kind: str) -> tuple[tuple[str, str], ...]:
        out = []
        for html, rel, line in refs:
            target = g.lookup(html)
            if target is None:
                names = [plain(n.html) for n in g.aliases.values()]
                close = difflib.get_close_matches(plain(html), names, n=1, cutoff=0.6)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                g.problems.append(Problem(rel, line, f"{kind} '{plain(html)}': the index has no such term{hint}"))
                continue
            shown = plain(target.html) if target.parent is None else f"{plain(target.parent.html)} {plain(target.html)}"
            out.append((code_html(shown) if "<code>" not in target.html else target.html, ids[id(target)]))
        return tuple(dict.fromkeys(out))

    see = targets(node.see, "see")
    also = tuple(a for a in targets(node.see_also, "see also") if a[1] != entry.id)
    if see and entry.locators:
        rel, line = node.see[0][1], node.see[0][2]
        g.problems.append(Problem(rel, line, f"'{plain(node.html)}' has pages of its own, so it cannot say "
                                             f"\"see {plain(node.see[0][0])}\"; use see-also"))
    subs = tuple(_resolve(g, sub_entry, sub, ids)
                 for sub_entry, sub in zip(entry.subentries, _sorted(node.subs.values())))
    return replace(entry, see=see, see_also=also, subentries=subs)
