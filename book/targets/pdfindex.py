"""The index at the back of the book PDF, laid out on its own after the book's single layout.

An index prints page numbers, merges places on one page and runs of
consecutive pages ("47–49"): its text depends on the pages, so it cannot be a
slot of fixed digits (`pagerefs`). It does not need a second layout of the
book either: nothing follows it. The book's HTML ends with an empty
`<section id="index">` that opens a right-hand page; after the one layout the
page map says which page that is, the index is written with the page labels
and laid out by itself (a few pages, its folios counting on from there), and
its pages replace that empty page. The contents' slots for the index are
then filled from the combined page map like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from book.model import BookIndex
from book.targets import pagerefs
from book.targets.indexview import ERRORS_ID, INDEX_ID

if TYPE_CHECKING:
    from weasyprint import Document


def index_parts(index: BookIndex) -> tuple[tuple[str, str], ...]:
    """(anchor, title) of what the contents lists for the index: the terms, and the compiler errors if any."""
    if not index:
        return ()
    return ((INDEX_ID, "Index"),) + (((ERRORS_ID, "Index of compiler errors"),) if index.codes else ())


@dataclass
class WithIndex:
    document: Document  # the book's pages up to the index, then the index's
    pages: pagerefs.PageMap  # of the whole document
    html: str  # the index as laid out
    unfilled: list[str]  # slot targets still not in the document
    missing: list[str]  # index places whose anchors are on no page
    keep: object  # the index's own document: its fonts must live until the PDF is written


def append(rendered: pagerefs.Rendered, index_html: Callable[[pagerefs.PageMap, str, list[str]], str],
           lay_out: Callable[[str], Document]) -> WithIndex:
    """Lay out the index (`index_html(page map, first page label, missing)`) and put its pages in place of the
    book's empty last page."""
    document = rendered.document
    start = next(i for i, page in enumerate(document.pages) if INDEX_ID in page.anchors)
    missing: list[str] = []
    html = index_html(rendered.pages, rendered.pages.labels[start], missing)
    index = lay_out(html)
    combined = document.copy(document.pages[:start] + index.pages)
    pages = pagerefs.PageMap.of(combined, pagerefs.restart_target(rendered.html))
    wider, unfilled = pagerefs.write_numbers(document, pages.anchors)  # the contents' lines for the index
    return WithIndex(combined, pages, html, unfilled + sorted(wider), missing, index)
