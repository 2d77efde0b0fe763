"""Per-part handouts: one standalone PDF per part (and the cheat sheet).

A handout has its own title block and page numbers ("page 2 of 9"). Links
that leave the part cannot print a page number of the book, so they print
where to look instead: "(Part 3)".
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from pathlib import Path

from book.model import Book, Chapter
from book.targets import PageSetup, RenderOptions
from book.targets.pdf import print_chapter, print_html, render_pdf

XREF = re.compile(r'<a href="#([^"]+)" data-xref="([^"]+)"([^>]*)>(.*?)</a>', re.S)


def handout_chapters(book: Book) -> list[Chapter]:
    """Every part, plus the chapters book.toml names under [handouts] extra."""
    return [c for c in book.chapters if c.kind == "part" or c.name in book.meta.handout_extras]


def handout_dir(options: RenderOptions) -> Path:
    base = options.out_dir / "handouts"
    paper = PageSetup.of(options.paper).paper.name
    return base if paper == "a4" else base / paper


def printed_reference(book: Book, element_id: str) -> str:
    """Where a reader of paper finds an anchor: "Part 3", "Appendix A", "Introduction".

    Kept short on purpose: the link text already says what the target is, and
    the part's own handout (or the book) shows the section.
    """
    owner = book.chapter_for_id(element_id)
    if owner is None:
        return ""
    return owner.label or "Introduction"


def for_handout(book: Book, chapter: Chapter) -> Chapter:
    """Links to other chapters print where to find the target instead of a page number.

    The "(Part 3)" is text after the link, as the book's "(page 47)" is, not
    generated content inside it: a link's ::after is tagged as a second, empty
    Link (PDF/UA checkers flag it).
    """
    def rewrite(match: re.Match[str]) -> str:
        element_id, key, attrs, text = match.groups()
        if key == chapter.key:
            return match.group(0)
        where = html.escape(printed_reference(book, element_id))
        if not where:
            return match.group(0)
        return f'<a href="#{element_id}" data-ref="{where}"{attrs}>{text}</a><span class="xref-page"> ({where})</span>'
    return replace(chapter, html=XREF.sub(rewrite, chapter.html))


def render_one(book: Book, key: str, paper: str, out_dir: Path, cache_dir: Path) -> tuple[Path, int]:
    """Render the handout of one chapter; a top-level function so it can run in another process."""
    chapter = next(c for c in book.chapters if c.key == key)
    target = out_dir / chapter.handout_name
    document = print_html(book, (for_handout(book, print_chapter(chapter)),), paper, front_matter=False, handout=True)
    return target, render_pdf(document, book, target, cache_dir, paper)
