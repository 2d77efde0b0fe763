"""What a part asks of a reader: prose on the core path, prose in asides, and its learning aids.

Core prose is every word outside fenced code, Going deeper asides, self-check
questions and permission tables (headings, key points and exercises count).
`make check -v` prints these per part; the teaching tests hold the parts to
their limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from book.model import Chapter

WORD = re.compile(r"[A-Za-z0-9_'’-]*[A-Za-z0-9]")
INLINE_CODE = re.compile(r"`[^`]*`")
INDEX_MARK = re.compile(r"\]\{[^}]*\.index\b[^}]*\}")  # `[words]{.index term="..."}`: the words count, the rest is markup
DIFFICULTY = re.compile(r"^(★{1,3})(?:\s|$)")


@dataclass(frozen=True)
class PartStats:
    core_words: int
    aside_words: int
    questions: int
    tracing: int
    if_compiled: int
    tables: int
    rejected: int  # compile_fail listings in the body (outside questions, before the exercises)
    ub_boxes: int
    safe_boxes: int
    exercises: int
    exercise_levels: tuple[int, ...]  # 1-3 per exercise, 0 where the mark is missing


def _words(line: str) -> int:
    return len(WORD.findall(INLINE_CODE.sub(" x ", INDEX_MARK.sub("]", line))))


def part_stats(chapter: Chapter) -> PartStats:
    lines = chapter.source.split("\n")
    kind_of_line = ["core"] * (len(lines) + 1)  # 1-based
    for block in chapter.code_blocks:
        end = block.output_lines[1] if block.output_lines else block.end_line
        for number in range(block.line, end + 1):
            kind_of_line[number] = "code"
    for div in sorted(chapter.divs, key=lambda d: d.depth):  # inner divs last: a quiz in an aside is a quiz
        kind = "aside" if div.has("deeper") else "skip" if div.has("quiz") or div.has("permissions") else None
        if kind:
            for number in range(div.line, div.end_line + 1):
                if kind_of_line[number] != "code":
                    kind_of_line[number] = kind
    for div in chapter.divs:  # the fences themselves (`::: ub`) are markup, not prose
        kind_of_line[div.line] = kind_of_line[div.end_line] = "skip"
    core = sum(_words(lines[n - 1]) for n in range(1, len(lines) + 1) if kind_of_line[n] == "core")
    aside = sum(_words(lines[n - 1]) for n in range(1, len(lines) + 1) if kind_of_line[n] == "aside")
    quizzes = [d for d in chapter.divs if d.has("quiz")]
    in_quiz = lambda line: any(d.line < line < d.end_line for d in quizzes)  # noqa: E731
    tracing = sum(1 for d in quizzes if not d.has("if-compiled")
                  and any(d.line < b.line < d.end_line and b.is_rust for b in chapter.code_blocks)
                  and not any(re.match(r"^\s*[-*+] ", lines[n - 1]) for n in range(d.line + 1, d.end_line)
                              if kind_of_line[n] != "code"))
    exercises_line = next((h.line for h in chapter.headings if h.level == 2 and h.text == "Exercises"), len(lines) + 1)
    levels = []
    for heading in chapter.headings:
        if heading.level == 3 and heading.text.startswith("Exercise "):
            following = next((lines[n - 1] for n in range(heading.line + 1, len(lines) + 1) if lines[n - 1].strip()), "")
            mark = DIFFICULTY.match(following)
            levels.append(len(mark.group(1)) if mark else 0)
    return PartStats(
        core_words=core, aside_words=aside, questions=len(quizzes), tracing=tracing,
        if_compiled=sum(1 for d in quizzes if d.has("if-compiled")), tables=len(chapter.tables),
        rejected=sum(1 for b in chapter.code_blocks if b.mode == "compile_fail" and not in_quiz(b.line)
                     and b.line < exercises_line),
        ub_boxes=sum(1 for d in chapter.divs if d.has("ub")), safe_boxes=sum(1 for d in chapter.divs if d.has("safe")),
        exercises=len(levels), exercise_levels=tuple(levels))


def describe(chapter: Chapter) -> str:
    s = part_stats(chapter)
    return (f"{chapter.label}: {s.core_words:,} core words, {s.aside_words:,} in asides; {s.questions} self-checks "
            f"({s.tracing} tracing, {s.if_compiled} if-compiled); {s.tables} permission tables; {s.rejected} rejected "
            f"listings in the body ({s.ub_boxes} ub, {s.safe_boxes} safe boxes); {s.exercises} exercises")
