"""The learning-layer constructs in the pipeline: marked before pandoc, taken out after, rendered per target.

Before pandoc, each construct div's opening fence gets `data-construct=KEY`
(the key carries its source line) and each permission table is replaced by a
placeholder, line for line. After pandoc, each marked div is taken out of the
chapter's HTML, parsed by its own module (`quiz`, `asides`, `boxes`;
`permissions` was parsed from the source and checked by rustc) into the data
model, and left as an empty placeholder `<div data-construct=KEY></div>`.
Each output then renders the placeholders through its own templates: an
interactive question on the web, a question with a link to its answer in the
EPUB, lettered choices and an answer key with page numbers in print.
"""

from __future__ import annotations

import re
from dataclasses import replace

from book.asides import parse_aside
from book.boxes import box_label, parse_box
from book.errors import Problem
from book.htmlparts import element_span
from book.model import Aside, Box, Chapter, Construct, PermissionTable, Question
from book.quiz import parse_question
from book.rustcheck import Result

MARKED = ("quiz", "deeper", "ub", "safe")
PLACEHOLDER = re.compile(r'<div data-construct="([a-z-]+-\d+)"></div>')
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<colons>:{3,})[ \t]*(?P<attrs>\{[^}]*\}|[A-Za-z][\w-]*)[ \t]*$")
TARGETS = ("web", "epub", "print")


def construct_kind(classes: tuple[str, ...]) -> str | None:
    return next((kind for kind in MARKED if kind in classes), None)


def prepare_markdown(chapter: Chapter, markdown: str) -> str:
    """Mark each construct's opening fence with its key and swap permission tables for placeholders, line for line."""
    lines = markdown.split("\n")
    for div in chapter.divs:
        kind = construct_kind(div.classes)
        if div.has("permissions"):
            placeholder = ["```{=html}", f'<div data-construct="permissions-{div.line}"></div>', "```"]
            span = div.end_line - div.line + 1
            lines[div.line - 1:div.end_line] = placeholder + [""] * (span - len(placeholder))
        elif kind:
            fence = FENCE.match(lines[div.line - 1])
            if fence is None:
                continue
            attrs = fence.group("attrs")
            marker = f'data-construct="{kind}-{div.line}"'
            attrs = f"{attrs[:-1]} {marker}}}" if attrs.startswith("{") else f"{{.{attrs} {marker}}}"
            lines[div.line - 1] = f"{fence.group('indent')}{fence.group('colons')} {attrs}"
    return "\n".join(lines)


def extract(chapter: Chapter, fragment: str, results: dict[int, Result],
            tables: dict[int, PermissionTable]) -> tuple[str, tuple[Construct, ...], list[Problem]]:
    """Take each construct out of the chapter's HTML into the model; returns the HTML with placeholders."""
    problems: list[Problem] = []
    constructs: list[Construct] = []
    blocks = {block.line: block for block in chapter.code_blocks}
    marked = [d for d in chapter.divs if construct_kind(d.classes)]
    numbers = {d.line: n for n, d in enumerate((d for d in marked if d.has("quiz")), start=1)}
    for div in sorted(marked, key=lambda d: (-d.depth, d.line)):  # innermost first: their placeholders stay inside
        kind = construct_kind(div.classes)
        key = f"{kind}-{div.line}"
        span = element_span(fragment, f'data-construct="{key}"')
        if span is None:
            problems.append(Problem(chapter.rel, div.line, f"this ::: {kind} was not read as a block: put its fences "
                                                           "on lines of their own, with a blank line before"))
            continue
        piece = fragment[span[0]:span[1]]
        construct: Construct | None
        if kind == "quiz":
            construct, found = parse_question(chapter, div, piece, numbers[div.line], blocks, results)
            problems.extend(found)
        elif kind == "deeper":
            construct, found = parse_aside(chapter, div, piece)
            problems.extend(found)
        else:
            construct = parse_box(chapter, div, piece)
        if construct is not None:
            constructs.append(construct)
        fragment = fragment[:span[0]] + f'<div data-construct="{key}"></div>' + fragment[span[1]:]
    for div in chapter.divs:
        if div.has("permissions") and div.line in tables:
            constructs.append(tables[div.line])
        elif div.has("permissions"):  # its own problems were reported when it was read
            fragment = fragment.replace(f'<div data-construct="permissions-{div.line}"></div>', "")
    constructs.sort(key=lambda c: c.line)
    return fragment, tuple(constructs), problems


def expand(chapter: Chapter, html: str, target: str, **context: object) -> str:
    """The chapter's HTML with every construct rendered for `target` ("web", "epub" or "print").

    `context` reaches the templates: print passes `page_slot` (see `book.targets.pagerefs`).
    """
    by_key = {c.key: c for c in chapter.constructs}

    def render(match: re.Match[str]) -> str:
        construct = by_key.get(match.group(1))
        return "" if construct is None else render_construct(construct, target, **context)

    for _ in range(4):  # constructs inside asides are placeholders inside the aside's body
        html, count = PLACEHOLDER.subn(render, html)
        if not count:
            break
    return html


def render_construct(construct: Construct, target: str, **context: object) -> str:
    from book.templating import render_template  # Jinja2 only when something is rendered
    if isinstance(construct, Question):
        return render_template(f"constructs/question.{target}.html.j2", q=construct, **context)
    if isinstance(construct, Aside):
        return render_template(f"constructs/aside.{'web' if target == 'web' else 'page'}.html.j2", aside=construct)
    if isinstance(construct, Box):
        return render_template("constructs/box.html.j2", box=construct, label=box_label(construct.kind))
    return render_template("constructs/permissions.html.j2", table=permission_rows(construct))


def answer_key(chapter: Chapter, target: str, **context: object) -> str:
    """The answers to a chapter's questions, for the end of the chapter in print and the EPUB ("" on the web)."""
    if target == "web" or not chapter.questions:
        return ""
    from book.templating import render_template

    return render_template(f"constructs/answers.{target}.html.j2", chapter=chapter, questions=chapter.questions,
                           **context)


def permission_rows(table: PermissionTable) -> dict:
    """What the table template shows: per cell, each permission marked kept, gained or lost since the row above."""
    rows = []
    previous = [frozenset()] * len(table.places)
    for row in table.rows:
        cells = []
        for p, cell in enumerate(row.cells):
            if cell.needs:
                cells.append({"needs": [x for x in "RWO" if x in cell.needs], "met": cell.needs_met, "marks": []})
                continue
            marks = []
            for letter in "RWO":
                if letter in cell.holds:
                    marks.append((letter, "kept" if letter in previous[p] else "gained"))
                elif letter in previous[p]:
                    marks.append((letter, "lost"))
            cells.append({"needs": [], "met": None, "marks": marks})
            previous[p] = cell.holds
        rows.append({"code": row.code, "cells": cells})
    return {"places": table.places, "rows": rows, "runtime": table.runtime, "id": f"permissions-{table.line}"}


def for_target(chapter: Chapter, target: str, **context: object) -> Chapter:
    """The chapter as `target` shows it: constructs rendered, and the answer key at the end (print, EPUB)."""
    return replace(chapter, html=expand(chapter, chapter.html, target, **context) + answer_key(chapter, target, **context))


QUIZ_ANSWER_OR_FORM = re.compile(r'<details class="quiz-answer">.*?</details>|<form class="quiz-form".*?</form>', re.S)


def searchable(chapter: Chapter) -> str:
    """The chapter as the web shows it, without the questions' answers and choice forms.

    Asides and boxes are searched like any text; answers are not, so that
    searching never gives one away.
    """
    return QUIZ_ANSWER_OR_FORM.sub("", expand(chapter, chapter.html, "web"))
