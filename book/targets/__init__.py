"""Output formats. Each module exposes `render(book, options) -> Path`.

Targets only read the converted Book; they never re-read chapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Paper:
    name: str  # the --paper value
    size: str  # CSS @page size
    description: str


PAPERS = {paper.name: paper for paper in (
    Paper("a4", "A4", "A4, 210 x 297 mm (the default)"),
    Paper("letter", "letter", "US Letter, 8.5 x 11 in"),
    Paper("trade", "7.5in 9.25in", "the trade edition, 7.5 x 9.25 in: mirrored margins with an inside gutter"),
)}
CROP = "+crop"  # suffix of a page setup with crop marks and 3 mm bleed, for print-on-demand
BLEED = "3mm"


@dataclass(frozen=True)
class PageSetup:
    """What a page setting ("a4", "trade+crop") means for the print HTML."""

    paper: Paper
    crop_marks: bool

    @classmethod
    def of(cls, setting: str) -> "PageSetup":
        name = setting.removesuffix(CROP)
        return cls(PAPERS[name], setting.endswith(CROP))

    @property
    def stylesheet(self) -> str:
        """The paper's own stylesheet in styles/ (margins, cover), loaded after print.css."""
        return f"paper-{self.paper.name}.css"


@dataclass(frozen=True)
class RenderOptions:
    out_dir: Path
    cache_dir: Path
    paper: str = "a4"  # a PAPERS name, with CROP appended for crop marks and bleed ("trade+crop")
