"""Output formats. Each module exposes `render(book, options) -> Path`.

Targets only read the converted Book; they never re-read chapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAPER_SIZES = {"a4": "A4", "letter": "letter"}


@dataclass(frozen=True)
class RenderOptions:
    out_dir: Path
    cache_dir: Path
    paper: str = "a4"  # "a4" | "letter"
