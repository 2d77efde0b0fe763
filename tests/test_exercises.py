"""Every exercise has a worked solution in Appendix A, linked both ways."""

from __future__ import annotations

import re

from book.load import load_book
from conftest import PROJECT

EXERCISE = re.compile(r"^### Exercise (\d+)\.(\d+): (.+)$", re.M)
SOLUTION = re.compile(r"^### Solution (\d+)\.(\d+)\s*$", re.M)


def sections(chapter, pattern: re.Pattern[str]) -> dict[str, str]:
    """'N.M' -> the text from that heading to the next heading (the scanner skips code blocks)."""
    lines = chapter.source.splitlines()
    headings = [h for h in chapter.headings if h.level <= 3]
    found = {}
    for index, heading in enumerate(headings):
        match = pattern.match("#" * heading.level + " " + heading.text)
        if match:
            end = headings[index + 1].line - 1 if index + 1 < len(headings) else len(lines)
            found[f"{match.group(1)}.{match.group(2)}"] = "\n".join(lines[heading.line:end])
    return found


def test_every_exercise_has_a_solution_linked_both_ways() -> None:
    book = load_book(PROJECT)
    solutions_chapter = next(c for c in book.chapters if c.name == "appendix_a_solutions.md")
    solutions = sections(solutions_chapter, SOLUTION)
    seen = []
    for part in book.parts:
        exercises = sections(part, EXERCISE)
        assert len(exercises) >= 5, f"{part.name} has {len(exercises)} exercises"
        for number, body in exercises.items():
            assert number.startswith(f"{part.number}."), f"{part.name}: Exercise {number} is numbered for another part"
            anchor = "solution-" + number.replace(".", "")
            assert f"./appendix_a_solutions.md#{anchor})" in body, f"Exercise {number} does not link to its solution"
            assert number in solutions, f"Exercise {number} has no solution"
            assert f"./{part.name}#exercise-{number.replace('.', '')}" in solutions[number], \
                f"Solution {number} does not link back to its exercise"
            assert len(solutions[number].split()) > 40, f"Solution {number} is not a worked solution"
            seen.append(number)
    assert sorted(seen) == sorted(solutions), "solutions without an exercise: " + ", ".join(sorted(set(solutions) - set(seen)))
