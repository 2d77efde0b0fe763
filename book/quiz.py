"""Self-check questions: parsed once from pandoc's HTML of a `quiz` div into a `Question`.

The author writes a fenced div holding a prompt, a task list of choices (right
ones ticked, or `answer="B"` on the div), optionally a Rust listing, and an
`explanation` div. A quiz with a listing and no choices is a tracing question
whose answer is the listing's annotation, which the example checker has
already judged against rustc. See AUTHORING.md.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from book.errors import Problem
from book.htmlparts import inner_html, outer_html, parse
from book.listings import code_html, listing_label, result_html
from book.model import Chapter, Choice, CodeBlock, Question, QuestionListing, SourceDiv
from book.rustcheck import Result

if TYPE_CHECKING:
    from lxml.html import HtmlElement

ANSWERS = {"run": "It compiles and runs", "compile_fail": "It does not compile",
           "should_panic": "It compiles, then panics at run time"}
DEFAULT_TRACING_PROMPT = "<p>Does this program compile? If it does, what does it print?</p>"


def question_number(chapter: Chapter, index: int) -> str:
    """"2.3" for the third question of Part 2; "A.1" in an appendix; "0.1" in the introduction."""
    head = str(chapter.number) if chapter.number is not None else (chapter.label.split()[-1] if chapter.label else "0")
    return f"{head}.{index}"


def parse_question(chapter: Chapter, div: SourceDiv, fragment: str, index: int, blocks: dict[int, CodeBlock],
                   results: dict[int, Result]) -> tuple[Question | None, list[Problem]]:
    """One quiz div's HTML (as pandoc produced it) -> a Question, or the problems that prevent one."""
    rel, line = chapter.rel, div.line
    root = parse(fragment)
    problems: list[Problem] = []
    prompt: list[str] = []
    explanations = [child for child in root if child.tag == "div" and "explanation" in child.classes]
    listings = [child for child in root if child.tag == "div" and child.get("data-listing")]
    lists = [child for child in root if child.tag in ("ul", "ol")]
    for child in root:
        if child not in explanations and child not in listings and (not lists or child is not lists[0]):
            prompt.append(outer_html(child))
    if len(explanations) != 1:
        problems.append(Problem(rel, line, "a question needs exactly one `::: explanation` div, last in the question "
                                           f"(this one has {len(explanations)})"))
    if len(listings) > 1:
        problems.append(Problem(rel, line, "a question shows at most one Rust listing"))
    if len(lists) > 1:
        problems.append(Problem(rel, line, "a question has one list of choices"))
    listing = _listing(rel, line, listings[0], blocks, results, problems) if listings else None
    choices = _choices(rel, line, lists[0], div.attribute("answer"), problems) if lists else ()
    if div.has("if-compiled"):
        kind = "if-compiled"
        if listing is None or listing.block.mode != "compile_fail":
            problems.append(Problem(rel, line, "an if-compiled question shows a listing that does not compile "
                                               "(```rust,compile_fail): the question is what would happen if it did"))
        if not choices:
            problems.append(Problem(rel, line, "an if-compiled question needs choices (a task list), one of them right"))
    elif choices:
        kind = "choice"
    elif listing is not None:
        kind = "tracing"
        if listing.block.mode not in ANSWERS:
            problems.append(Problem(rel, line, f"a tracing question's listing must run, fail to compile or panic, "
                                               f"so that it has an answer; this one is {listing.block.mode}"))
    else:
        kind = "choice"
        problems.append(Problem(rel, line, "a question needs choices (a task list, right ones ticked) or a Rust "
                                           "listing whose outcome is the answer"))
    if problems:
        return None, problems
    body = "".join(prompt).strip() or (DEFAULT_TRACING_PROMPT if kind == "tracing" else "")
    return Question(key=f"quiz-{div.line}", id=f"{chapter.key}-check-{index}", number=question_number(chapter, index),
                    kind=kind, line=line, prompt=body, choices=choices, explanation=inner_html(explanations[0]).strip(),
                    listing=listing), []


def _listing(rel: str, line: int, element: HtmlElement, blocks: dict[int, CodeBlock], results: dict[int, Result],
             problems: list[Problem]) -> QuestionListing | None:
    block = blocks.get(int(element.get("data-listing")))
    if block is None or not block.is_rust:
        problems.append(Problem(rel, line, "the listing in a question must be Rust (```rust ...)"))
        return None
    result = results.get(block.line)
    if result is None:  # an ignored listing was never run
        problems.append(Problem(rel, block.line, "a listing in a question must be checked: do not mark it ignore"))
        return None
    label = listing_label(block) or ANSWERS["run"]
    return QuestionListing(block=block, code_html=code_html(block), answer_label=ANSWERS.get(block.mode, label),
                           result_html=result_html(block, result), stdout=result.stdout)


def _choices(rel: str, line: int, element: HtmlElement, answer: str | None,
             problems: list[Problem]) -> tuple[Choice, ...]:
    items = [li for li in element if li.tag == "li"]
    parsed: list[tuple[str, bool | None, str]] = [_choice(li) for li in items]
    ticked = [i for i, (_, tick, _) in enumerate(parsed) if tick]
    if len(items) < 2:
        problems.append(Problem(rel, line, f"a question needs at least two choices (this one has {len(items)})"))
    if answer is not None:
        if ticked:
            problems.append(Problem(rel, line, "give the right answers once: tick them (- [x]) or write answer=\"...\", "
                                               "not both"))
        letters = [letter.strip().upper() for letter in answer.split(",") if letter.strip()]
        right = set()
        for letter in letters:
            index = ord(letter) - 65 if re.fullmatch(r"[A-Z]", letter) else -1
            if not 0 <= index < len(items):
                last = chr(64 + len(items)) if items else "A"
                problems.append(Problem(rel, line, f"answer letter '{letter}' does not exist: the question has "
                                                   f"{len(items)} choices, A to {last}"))
            right.add(index)
        correct = [i in right for i in range(len(items))]
    else:
        correct = [bool(tick) for _, tick, _ in parsed]
    if items and not any(correct):
        problems.append(Problem(rel, line, "this question has no right answer: tick at least one choice (- [x]) or "
                                           "write answer=\"B\" on the quiz div"))
    return tuple(Choice(html=text, correct=right, feedback=feedback)
                 for (text, _, feedback), right in zip(parsed, correct))


def _choice(li: HtmlElement) -> tuple[str, bool | None, str]:
    """(choice HTML, ticked or None for a plain item, feedback HTML) from one <li> of pandoc's list."""
    checkbox = next(iter(li.iter("input")), None)
    ticked = None if checkbox is None else checkbox.get("checked") is not None
    if checkbox is not None:
        _drop_keep_tail(checkbox)  # its tail is the choice's text
    blocks = [child for child in li if child.tag in ("p", "div", "ul", "ol", "pre", "blockquote", "table")]
    if blocks and blocks[0].tag == "p":  # a loose list: the first paragraph is the choice, the rest its feedback
        first = blocks[0]
        text = inner_html(first.find("label")) if first.find("label") is not None else inner_html(first)
        feedback = "".join(outer_html(b) for b in blocks[1:])
    else:
        label = li.find("label")
        text = inner_html(label) if label is not None else inner_html(li)
        feedback = ""
    return text.strip(), ticked, feedback.strip()


def _drop_keep_tail(element: HtmlElement) -> None:
    parent = element.getparent()
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (element.tail or "")
    else:
        parent.text = (parent.text or "") + (element.tail or "")
    parent.remove(element)
