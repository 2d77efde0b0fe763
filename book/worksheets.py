"""Worksheets for classes: each part's key points, self-checks and exercises, read once from the converted book.

A part's `## Key points` and its `### Exercise N.M: Title` sections (under
`## Exercises`) are taken from the part's HTML as the book prints them; each
exercise is paired with `### Solution N.M` from the solutions appendix (any
appendix with such headings), and the self-checks are the part's questions as
already parsed (`Chapter.questions`). The worksheet and the teacher's key are
rendered from this model (`book.targets.worksheets`).

Checked here, each at its `file:line`: an exercise numbered for its own part,
no number twice, and, when the book has worked solutions at all, one for
every exercise and an exercise for every solution.
"""

from __future__ import annotations

import re
from dataclasses import replace

from book.errors import Problem
from book.model import Book, Chapter, Exercise, Worksheet
from book.stats import DIFFICULTY

HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")
EXERCISE = re.compile(r"^Exercise (\d+)\.(\d+)(?::\s*(.*))?$", re.S)
SOLUTION = re.compile(r"^Solution (\d+)\.(\d+)\s*$")
# The last paragraph of an exercise links to its solution; the first of a solution links back: neither
# leads anywhere on paper, where the worksheet and the key are separate sheets.
LINK_PARAGRAPH = re.compile(r'\s*<p><a href="[^"]*"[^>]*>[^<]*</a></p>\s*')


def with_worksheets(book: Book) -> tuple[Book, list[Problem]]:
    """The book with one worksheet per part, and the problems found pairing exercises with solutions."""
    problems: list[Problem] = []
    solutions: dict[str, tuple[str, Chapter, int]] = {}
    for chapter in book.chapters:
        if chapter.kind != "appendix":
            continue
        for number, heading_line, html in _sections(chapter, SOLUTION):
            if number in solutions:
                problems.append(Problem(chapter.rel, heading_line, f"a second `### Solution {number}`: each "
                                                                   "exercise has one worked solution"))
                continue
            solutions[number] = (_drop_first_link(html), chapter, heading_line)
    worksheets = []
    used: set[str] = set()
    for part in book.parts:
        exercises = []
        for number, heading_line, html, title in _exercises(part, problems):
            if number in used:
                problems.append(Problem(part.rel, heading_line, f"a second `### Exercise {number}`: number the "
                                                                "exercises of a part 1, 2, 3 ..."))
                continue
            used.add(number)
            solution = solutions.get(number)
            if solutions and solution is None:
                where = next(iter(solutions.values()))[1].rel
                problems.append(Problem(part.rel, heading_line, f"Exercise {number} has no worked solution: add "
                                                                f"`### Solution {number}` to {where}"))
            exercises.append(Exercise(number=number, title=title, level=_level(part, heading_line),
                                      html=_drop_last_link(html), line=heading_line,
                                      solution=solution[0] if solution else ""))
        if not part.questions and not exercises:
            continue  # nothing for a class to do
        worksheets.append(Worksheet(key=part.key, label=part.label, title=part.title,
                                    stem=part.handout_name.removesuffix(".pdf"),
                                    key_points=_section_html(part, "Key points"), questions=part.questions,
                                    exercises=tuple(exercises)))
    for number, (_, chapter, heading_line) in solutions.items():
        if number not in used:
            problems.append(Problem(chapter.rel, heading_line, f"Solution {number} has no exercise: no part has "
                                                               f"`### Exercise {number}: ...`"))
    return replace(book, worksheets=tuple(worksheets)), problems


def _headings(chapter: Chapter) -> list[tuple[int, int, int, str]]:
    """(level, start, end of the heading tag, plain text) of every heading in the chapter's HTML."""
    return [(int(m.group(1)), m.start(), m.end(), " ".join(TAG.sub("", m.group(3)).split()))
            for m in HEADING.finditer(chapter.html)]


def _body(chapter: Chapter, headings: list[tuple[int, int, int, str]], index: int) -> str:
    """The HTML from heading `index` to the next heading of its level or higher."""
    level, _, end, _ = headings[index]
    stop = next((start for lvl, start, _, _ in headings[index + 1:] if lvl <= level), len(chapter.html))
    return chapter.html[end:stop].strip()


def _source_line(chapter: Chapter, pattern: re.Pattern[str], number: str) -> int:
    """The line of the Markdown heading `### Exercise N.M ...` (or `Solution`) with this number."""
    for heading in chapter.headings:
        match = pattern.match(heading.text.strip()) if heading.level == 3 else None
        if match and f"{int(match.group(1))}.{int(match.group(2))}" == number:
            return heading.line
    return 0


def _sections(chapter: Chapter, pattern: re.Pattern[str]) -> list[tuple[str, int, str]]:
    """("N.M", source line, HTML) of each level-3 heading matching `pattern`."""
    found = []
    headings = _headings(chapter)
    for index, (level, _, _, text) in enumerate(headings):
        match = pattern.match(text)
        if level == 3 and match:
            number = f"{int(match.group(1))}.{int(match.group(2))}"
            found.append((number, _source_line(chapter, pattern, number), _body(chapter, headings, index)))
    return found


def _exercises(part: Chapter, problems: list[Problem]) -> list[tuple[str, int, str, str]]:
    """("N.M", line, HTML, title HTML) of each exercise under the part's `## Exercises`."""
    headings = _headings(part)
    start = next((i for i, (level, _, _, text) in enumerate(headings) if level == 2 and text == "Exercises"), None)
    if start is None:
        return []
    found = []
    for index in range(start + 1, len(headings)):
        level, tag_start, _, text = headings[index]
        if level <= 2:
            break
        match = EXERCISE.match(text)
        if level != 3 or not match:
            continue
        line = _source_line(part, EXERCISE, f"{int(match.group(1))}.{int(match.group(2))}")
        if int(match.group(1)) != part.number:
            problems.append(Problem(part.rel, line, f"`{text}` is in {part.label}: number its exercises "
                                                    f"{part.number}.1, {part.number}.2 ..."))
            continue
        inner = HEADING.match(part.html, tag_start).group(3)
        title = re.sub(r"^\s*Exercise \d+\.\d+:?\s*", "", inner)
        found.append((f"{part.number}.{int(match.group(2))}", line, _body(part, headings, index), title))
    return found


def _section_html(chapter: Chapter, title: str) -> str:
    headings = _headings(chapter)
    index = next((i for i, (level, _, _, text) in enumerate(headings) if level == 2 and text == title), None)
    return "" if index is None else _body(chapter, headings, index)


def _level(chapter: Chapter, heading_line: int) -> int:
    lines = chapter.source.split("\n")
    first = next((lines[n] for n in range(heading_line, len(lines)) if lines[n].strip()), "")
    mark = DIFFICULTY.match(first)
    return len(mark.group(1)) if mark else 0


def _drop_last_link(html: str) -> str:
    matches = list(LINK_PARAGRAPH.finditer(html))
    if matches and matches[-1].end() == len(html):
        return html[:matches[-1].start()]
    return html


def _drop_first_link(html: str) -> str:
    match = LINK_PARAGRAPH.match(html)
    return html[match.end():] if match else html
