"""The web edition: the whole book on one page, with its styles and figures.

Everything the page uses is copied beside it, so `dist/html/` works from the
file system and from any static host.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from book import __version__
from book.model import Book
from book.outputs import replace_dir_atomic, staging_dir
from book.targets import RenderOptions
from book.templating import render_template

STYLESHEETS = ("base.css", "screen.css")


def single_page(book: Book) -> str:
    return render_template(
        "html.html.j2",
        meta=book.meta,
        chapters=book.chapters,
        build_date=book.build_date,
        rustc_version=book.rustc_version,
        generator=f"memory-management-in-rust book pipeline {__version__}",
    )


def used_figures(book: Book) -> list[str]:
    """Figure paths (relative to chapters/) that the chapters use, in book order."""
    seen: dict[str, None] = {}
    for chapter in book.chapters:
        for link in chapter.links:
            if link.is_image:
                seen[link.target.removeprefix("./")] = None
    return list(seen)


def render(book: Book, options: RenderOptions) -> Path:
    target = options.out_dir / "html"
    staging = staging_dir(target)
    try:
        (staging / "index.html").write_text(single_page(book), encoding="utf-8")
        (staging / "styles").mkdir()
        for name in STYLESHEETS:
            shutil.copyfile(book.styles_dir / name, staging / "styles" / name)
        for figure in used_figures(book):
            destination = staging / figure
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(book.chapters_dir / figure, destination)
        replace_dir_atomic(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target / "index.html"
