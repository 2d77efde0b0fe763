"""The web edition: the whole book on one page, and one page per chapter.

`dist/html/index.html` is the single-page edition; `introduction.html`,
`01_introduction_to_ownership.html`, ... are the multi-page edition with
previous/next links. Both share the styles, the scripts (theme, copy buttons
and the phone contents menu in book.js; search in search.js with lunr.js), a
search index built with the book (search.py) and the figures, all copied
beside the pages, so the site works from the file system and from any static
host.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Callable

from markupsafe import Markup

from book import __version__
from book.constructs import for_target
from book.model import Book, Chapter
from book.playground import playground_url
from book.outputs import replace_dir_atomic, staging_dir
from book.targets import RenderOptions
from book.targets.paging import rewrite_hrefs
from book.targets.indexview import INDEX_ID, screen_index
from book.targets.search import search_script
from book.templating import render_template

STYLESHEETS = ("base.css", "screen.css")
ASSETS = Path(__file__).resolve().parent.parent / "assets"
# what the pages load from assets/: ours, and lunr.js (vendored, MIT) with its licence
SCRIPTS = {"book.js": "book.js", "search.js": "search.js", "quiz.js": "quiz.js", "favicon.svg": "favicon.svg", "lunr.min.js": "vendor/lunr/lunr.min.js",
           "lunr.LICENSE.txt": "vendor/lunr/LICENSE"}
SINGLE_PAGE = "index.html"
INDEX_PAGE = "book-index.html"  # the back-of-book index in the multi-page edition ("index.html" is the whole book)
HEADING = re.compile(r'<h([1-4]) id="([^"]+)"([^>]*)>(.*?)</h\1>', re.S)


def page_file(chapter: Chapter) -> str:
    return f"{chapter.output_stem}.html"


def with_permalinks(fragment: str) -> str:
    """Every heading gets a visible `#` link to itself."""
    def add(match: re.Match[str]) -> str:
        level, element_id, attrs, inner = match.groups()
        return (f'<h{level} id="{element_id}"{attrs}>{inner}<a class="permalink" href="#{element_id}" '
                f'aria-label="Link to this section">#</a></h{level}>')
    return HEADING.sub(add, fragment)


def _page(book: Book, edition: str, shown: list[Chapter], current: Chapter | None,
          href: Callable[[str], str], other_href: str, book_index: str = "", index_href: str = "") -> str:
    chapters = list(book.chapters)
    index = [c.key for c in chapters].index(current.key) if current else 0
    return render_template(
        "web.html.j2",
        meta=book.meta, chapters=chapters, shown=shown, current=current, edition=edition, href=href,
        previous=chapters[index - 1] if current and index > 0 else None,
        next=chapters[index + 1] if current and index + 1 < len(chapters) else None,
        home=href(chapters[0].key),
        other_edition_href=other_href,
        book_index=Markup(book_index), index_href=index_href, on_index_page=bool(book_index) and not shown,
        other_edition_label="One page per part" if edition == "single" else "Whole book on one page",
        build_date=book.build_date, rustc_version=book.rustc_version,
        generator=f"memory-management-in-rust book pipeline {__version__}",
    )


def single_page(book: Book) -> str:
    shown = [_web_chapter(c, c.html) for c in web_chapters(book)]
    own = lambda element_id: f"#{element_id}"  # noqa: E731
    index = screen_index(book.index, own) if book.index else ""
    return _page(book, "single", shown, None, own, page_file(book.chapters[0]), index, f"#{INDEX_ID}" if index else "")


def chapter_pages(book: Book) -> dict[str, str]:
    """File name -> page, one per chapter."""
    def href(element_id: str) -> str:
        owner = book.chapter_for_id(element_id)
        if owner is None:
            return f"#{element_id}"
        return page_file(owner) if element_id == owner.key else f"{page_file(owner)}#{element_id}"

    pages = {}
    index_href = INDEX_PAGE if book.index else ""
    for chapter in web_chapters(book):
        shown = [_web_chapter(chapter, rewrite_hrefs(book, chapter, page_file))]
        pages[page_file(chapter)] = _page(book, "multi", shown, chapter, href, f"{SINGLE_PAGE}#{chapter.key}",
                                          index_href=index_href)
    if book.index:
        pages[INDEX_PAGE] = _page(book, "multi", [], None, href, f"{SINGLE_PAGE}#{INDEX_ID}",
                                  screen_index(book.index, href), index_href)
    return pages


def web_chapters(book: Book) -> list[Chapter]:
    """Every chapter with its constructs rendered for the web (questions interactive, asides collapsed)."""
    return [for_target(chapter, "web") for chapter in book.chapters]


def _web_chapter(chapter: Chapter, fragment: str) -> Chapter:
    return replace(chapter, html=focusable_code(with_permalinks(with_run_links(chapter, fragment))))


LISTING_START = re.compile(r'<div class="listing (?:listing-[a-z-]+ ?)+" data-listing="(\d+)">')


def with_run_links(chapter: Chapter, fragment: str) -> str:
    """Every Rust listing gets a Run link to the Playground carrying its whole program, hidden lines included."""
    blocks = {block.line: block for block in chapter.code_blocks if block.is_rust}

    def add(match: re.Match[str]) -> str:
        block = blocks.get(int(match.group(1)))
        if block is None:
            return match.group(0)
        return (f'{match.group(0)}<a class="run-link" href="{html_lib.escape(playground_url(block))}" '
                f'aria-label="Run this listing in the Rust Playground (opens the Playground site)">Run</a>')
    return LISTING_START.sub(add, fragment)


def focusable_code(fragment: str) -> str:
    """Listings and tables scroll sideways on screen (tables on a phone), so keyboard users must be able to focus them."""
    return (fragment.replace("<pre>", '<pre tabindex="0">').replace('<pre class="code"', '<pre tabindex="0" class="code"')
            .replace("<table>", '<table tabindex="0">'))


def render(book: Book, options: RenderOptions) -> Path:
    target = options.out_dir / "html"
    staging = staging_dir(target)
    try:
        staging.chmod(0o755)
        (staging / SINGLE_PAGE).write_text(single_page(book), encoding="utf-8")
        for name, page in chapter_pages(book).items():
            (staging / name).write_text(page, encoding="utf-8")
        (staging / "styles").mkdir()
        for name in STYLESHEETS:
            shutil.copyfile(book.styles_dir / name, staging / "styles" / name)
        (staging / "assets").mkdir()
        for name, source in SCRIPTS.items():
            shutil.copyfile(ASSETS / source, staging / "assets" / name)
        (staging / "assets" / "search-index.js").write_text(search_script(book, page_file), encoding="utf-8")
        for figure in book.figures:
            destination = staging / figure.name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(figure.path, destination)
        replace_dir_atomic(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target / SINGLE_PAGE
