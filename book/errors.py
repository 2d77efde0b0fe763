"""Problems found in the book's sources, reported together with file and line.

The build collects every problem it can find before giving up, so an author
fixes a whole batch at once instead of one error per run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the sources: where it is and what to do about it."""

    path: str  # project-relative, e.g. "chapters/03_lifetimes.md"
    line: int | None
    message: str
    detail: str = ""  # extra lines (rustc's message, a diff), printed indented

    def format(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        text = f"{where}: {self.message}"
        if self.detail:
            text += "\n" + "\n".join("    " + line for line in self.detail.rstrip().splitlines())
        return text


class BookError(Exception):
    """Raised with every problem found so far; the CLI prints them and exits 1."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))

    def __reduce__(self):  # so a worker process can hand the problems back
        return (BookError, (self.problems,))


@dataclass
class Problems:
    """A collector: steps add problems, `raise_if_any` stops the build at a checkpoint."""

    items: list[Problem] = field(default_factory=list)

    def add(self, path: str | Path, line: int | None, message: str, detail: str = "") -> None:
        self.items.append(Problem(str(path), line, message, detail))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise BookError(sorted(set(self.items), key=_sort_key))


def _sort_key(p: Problem) -> tuple[str, int, str]:
    return (p.path, p.line or 0, p.message)
