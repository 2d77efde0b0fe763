""""If this compiled" boxes: what a rejected listing would do at run time, or why it is safe but rejected.

Parsed once from pandoc's HTML of a `ub` or `safe` div into a `Box`. Where
they may stand is checked on the source: a box directly follows the
`compile_fail` listing it explains, and every such listing in the body of a
part (not in a question, not among the exercises) has one.
"""

from __future__ import annotations

from book.errors import Problem
from book.htmlparts import inner_html, parse
from book.model import Box, Chapter, SourceDiv
from book.scan import attached_listing

KINDS = ("ub", "safe")
LABELS = {"ub": "If this compiled: undefined behaviour",
          "safe": "If this compiled: nothing would go wrong (safe, but rejected)"}


def parse_box(chapter: Chapter, div: SourceDiv, fragment: str) -> Box:
    kind = next(k for k in KINDS if div.has(k))
    root = parse(fragment)
    return Box(key=f"{kind}-{div.line}", kind=kind, line=div.line, html=inner_html(root).strip(), id=root.get("id") or "")


def check_boxes(chapter: Chapter) -> list[Problem]:
    """Boxes stand under rejected listings, and rejected listings in a part's body have one."""
    lines = chapter.source.split("\n")
    problems = []
    boxed: set[int] = set()
    for div in chapter.divs:
        if not any(div.has(k) for k in KINDS):
            continue
        listing = attached_listing(lines, chapter.code_blocks, chapter.divs, div.line)
        if listing is None or listing.mode != "compile_fail":
            problems.append(Problem(chapter.rel, div.line, f"a ::: {'ub' if div.has('ub') else 'safe'} box explains "
                                    "a rejected listing: put it directly after a ```rust,compile_fail listing"))
            continue
        boxed.add(listing.line)
    if chapter.kind != "part":
        return problems
    exercises = next((h.line for h in chapter.headings if h.level == 2 and h.text.strip() == "Exercises"), None)
    quizzes = [(d.line, d.end_line) for d in chapter.divs if d.has("quiz")]
    for block in chapter.code_blocks:
        if block.mode != "compile_fail" or block.line in boxed:
            continue
        if exercises is not None and block.line > exercises:
            continue
        if any(start < block.line < end for start, end in quizzes):
            continue
        problems.append(Problem(chapter.rel, block.line, "this rejected listing needs an \"If this compiled\" box "
                                "right after it: ::: ub (what would go wrong at run time) or ::: safe (why it is "
                                "fine but rejected)"))
    return problems


def box_label(kind: str) -> str:
    return LABELS[kind]
