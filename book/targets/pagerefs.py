"""Printed page references ("(page 47)", the contents' page numbers), filled in after one layout.

CSS `target-counter()` is the textbook way to print a page reference, but
WeasyPrint lays out every page that holds one three times: once, again when
the target's page is known, and once more when the total page count is known.
In this book that was 928 page layouts for 393 pages, about 45% of the render.

So the print HTML carries a *slot* instead: a span of placeholder digits. The
font sets digits (and U+2007 FIGURE SPACE) at one width, so the layout does not
depend on which digits end up in the slot. After one layout pass we read the
page of every anchor and write the numbers into the slots' text boxes before
the PDF is drawn. A slot only needs the right number of digits; that is
estimated from where its target sits in the HTML. If a page number turns out
longer than its slot, the document is laid out again with wider slots; if it
is shorter, a figure space pads it in front: right-aligned in the contents, and
in running text a slightly wider space after "page", which justified text hides
better than a gap before the punctuation that follows.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from book.convert import ID_ATTR

if TYPE_CHECKING:
    from weasyprint import Document

FIGURE_SPACE = "\u2007"
SLOT = re.compile(r'<span class="pageref" data-target="([^"]+)">([^<]*)</span>')
BYTES_PER_PAGE = 3400  # print HTML per page of this book's layout; only decides how many digits a slot gets
MAX_PASSES = 3


def slot(target: str, suffix: str = "") -> str:
    """An empty slot for the page of `#target`; `suffix` is printed right after the number (a closing ")")."""
    return f'<span class="pageref" data-target="{html_lib.escape(target)}">{html_lib.escape(suffix)}</span>'


def estimated_digits(html: str) -> dict[str, int]:
    """Digits of each id's page, guessed from its position in the document.

    Counted from <body>: the head holds the stylesheets' absolute paths, and
    the output must not depend on where the project is checked out.
    """
    body = max(html.find("<body"), 0)
    return {match.group(1): len(str((match.start() - body) // BYTES_PER_PAGE + 1))
            for match in ID_ATTR.finditer(html, body)}


def with_digits(html: str, digits: dict[str, int], default: int) -> str:
    """Fill every slot with placeholder zeros, as many as its target's page is expected to need."""
    def fill(match: re.Match[str]) -> str:
        target, suffix = match.groups()
        zeros = "0" * digits.get(html_lib.unescape(target), default)
        return f'<span class="pageref" data-target="{target}">{zeros}{suffix}</span>'
    return SLOT.sub(fill, html)


def anchor_pages(document: Document) -> dict[str, int]:
    """The page number of every anchor (numbering is continuous from the first page)."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


def _slot_boxes(document: Document):  # type: ignore[no-untyped-def]
    """Text boxes inside slots, with the slot element: (box, element)."""
    for page in document.pages:
        for box in page._page_box.descendants():  # noqa: SLF001  (WeasyPrint keeps laid-out boxes here)
            element = getattr(box, "element", None)
            if (hasattr(box, "pango_layout") and element is not None and element.get("class") == "pageref"
                    and box.element_tag == "span"):
                yield box, element


def write_numbers(document: Document) -> tuple[dict[str, int], list[str]]:
    """Write page numbers into the laid-out slots.

    Returns the digits each too-narrow slot needs (empty when all fitted) and
    the targets that are not in the document.
    """
    pages = anchor_pages(document)
    wider: dict[str, int] = {}
    missing: list[str] = []
    for box, element in _slot_boxes(document):
        target = element.get("data-target")
        if target not in pages:
            missing.append(target)
            continue
        number = str(pages[target])
        placeholder = box.text
        digits = len(placeholder) - len(placeholder.lstrip("0"))
        if not digits:
            continue  # not a placeholder (never split: digits and ")" have no break opportunity)
        suffix = placeholder[digits:]
        if len(number) > digits:
            wider[target] = len(number)
            continue
        text = FIGURE_SPACE * (digits - len(number)) + number + suffix
        box.text = text
        box.pango_layout.text = text  # re-shaped from this text when the page is drawn
    return wider, missing


def render(html: str, lay_out: Callable[[str], Document]) -> tuple[Document, str, list[str]]:
    """Lay out `html` and fill its page slots; returns the document, the HTML laid out, and targets left unfilled.

    Usually one pass. A slot too narrow for its number costs another pass with
    wider slots; the last pass gives every slot one digit more than the page
    count has, so it always fits.
    """
    digits = estimated_digits(html)
    for attempt in range(1, MAX_PASSES + 1):
        laid_out = with_digits(html, digits, default=max(digits.values(), default=1))
        document = lay_out(laid_out)
        wider, missing = write_numbers(document)
        if not wider:
            break
        if attempt == MAX_PASSES - 1:
            widest = len(str(len(document.pages))) + 1
            digits = {target: widest for target in digits}
        else:
            digits = {**digits, **wider}
    return document, laid_out, missing + sorted(wider)  # `wider` is empty unless the page count itself grew
