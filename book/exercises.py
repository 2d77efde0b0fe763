"""Exercises carry their difficulty: `★` warm-up, `★★` practice, `★★★` challenge.

The mark opens the exercise's first paragraph, so it reads naturally on
GitHub and in every output; the series introduction explains the levels.
"""

from __future__ import annotations

from book.errors import Problem
from book.model import Chapter
from book.stats import DIFFICULTY


def check_exercises(chapter: Chapter) -> list[Problem]:
    """Every `### Exercise N.M` of a part opens with ★, ★★ or ★★★."""
    if chapter.kind != "part":
        return []
    lines = chapter.source.split("\n")
    problems = []
    for heading in chapter.headings:
        if heading.level != 3 or not heading.text.startswith("Exercise "):
            continue
        first = next((lines[n] for n in range(heading.line, len(lines)) if lines[n].strip()), "")
        if not DIFFICULTY.match(first):
            problems.append(Problem(chapter.rel, heading.line, "an exercise opens with its difficulty: start its first "
                                                               "paragraph with ★ (warm-up), ★★ (practice) or ★★★ (challenge)"))
    return problems
