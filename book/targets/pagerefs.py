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

Page numbers are *labels*, as in a printed book: the front matter counts in
lower-case roman numerals from the cover, and the element marked
`data-page-numbering="restart"` (Part 1 in the book) opens arabic page 1;
print.css resets the page counter there, so the folios say the same. A handout
has no such element and counts 1, 2, 3 from its first page. The same labels
go into the PDF's /PageLabels and into the page map kept beside the print
HTML (`PageMap`), which is what anything else that prints or links a page
number (an index, the EPUB's page list) reads, without laying the book out
again.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from book.convert import ID_ATTR

if TYPE_CHECKING:
    from weasyprint import Document

    from book.targets.pagelist import PageStart

FIGURE_SPACE = "\u2007"
SLOT = re.compile(r'<span class="pageref" data-target="([^"]+)">([^<]*)</span>')
BYTES_PER_PAGE = 3400  # print HTML per page of this book's layout; only decides how many digits a slot gets
MAX_PASSES = 3
# The element where arabic page 1 begins (book/templates/print.html.j2; print.css resets the counter there).
RESTART = re.compile(r'<[a-z]+ [^>]*?data-page-numbering="restart"[^>]*>')
ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
         (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def roman(number: int) -> str:
    """Lower-case roman numeral, as CSS `lower-roman` prints it."""
    out = []
    for value, letters in ROMAN:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


@dataclass(frozen=True)
class PageMap:
    """The printed label of every page and the label of the page each anchor is on, from one layout.

    `arabic_from` is the index of the page labelled "1" (0 when there is no
    front matter); the pages before it are labelled i, ii, iii, ...
    """

    labels: tuple[str, ...]
    anchors: dict[str, str]
    arabic_from: int
    # Where each page begins (`pagelist.PageStart`), recorded for the book PDF, and the key of the print
    # HTML it was laid out from (`pagelist.layout_key`): the EPUB's page list is placed from these.
    starts: tuple[PageStart, ...] = ()
    key: str = ""

    @classmethod
    def of(cls, document: Document, restart: str | None) -> "PageMap":
        first_pages: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor in page.anchors:
                first_pages.setdefault(anchor, index)
        arabic_from = first_pages.get(restart, 0) if restart else 0
        labels = tuple(roman(index + 1) if index < arabic_from else str(index - arabic_from + 1)
                       for index in range(len(document.pages)))
        return cls(labels, {anchor: labels[index] for anchor, index in first_pages.items()}, arabic_from)

    def save(self, path: Path) -> None:
        from book.outputs import write_text_atomic

        write_text_atomic(path, json.dumps({"labels": self.labels, "arabic_from": self.arabic_from,
                                            "anchors": self.anchors, "key": self.key,
                                            "starts": [start.to_json() for start in self.starts]},
                                           indent=0, sort_keys=True))

    @classmethod
    def load(cls, path: Path) -> "PageMap":
        from book.targets.pagelist import PageStart

        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(data["labels"]), data["anchors"], data["arabic_from"],
                   tuple(PageStart.from_json(start) for start in data.get("starts", ())), data.get("key", ""))

    def pdf_page_labels(self) -> list[tuple[int, str]]:
        """/PageLabels ranges: (first page index, numbering style "r" or "D"); each range starts at 1."""
        return ([(0, "r")] if self.arabic_from else []) + [(self.arabic_from, "D")]


def restart_target(html: str) -> str | None:
    """The id of the element where arabic numbering starts, if the document has one."""
    match = RESTART.search(html)
    found = match and re.search(r'\bid="([^"]+)"', match.group(0))
    return html_lib.unescape(found.group(1)) if found else None


def slot(target: str, suffix: str = "") -> str:
    """An empty slot for the page of `#target`; `suffix` is printed right after the number (a closing ")")."""
    return f'<span class="pageref" data-target="{html_lib.escape(target)}">{html_lib.escape(suffix)}</span>'


def estimated_digits(html: str) -> dict[str, int]:
    """Digits of each id's page, guessed from its position in the document.

    Counted from <body>: the head holds the stylesheets' absolute paths, and
    the output must not depend on where the project is checked out. Counting
    from <body> rather than from arabic page 1 overestimates a label by the
    front matter's pages, which is the safe side: a slot one digit too wide is
    padded, one too narrow costs a second layout of the whole book.
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


def _slot_boxes(document: Document):  # type: ignore[no-untyped-def]
    """Text boxes inside slots, with the slot element: (box, element)."""
    for page in document.pages:
        for box in page._page_box.descendants():  # noqa: SLF001  (WeasyPrint keeps laid-out boxes here)
            element = getattr(box, "element", None)
            if (hasattr(box, "pango_layout") and element is not None and element.get("class") == "pageref"
                    and box.element_tag == "span"):
                yield box, element


def write_numbers(document: Document, pages: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """Write page labels (`PageMap.anchors`) into the laid-out slots.

    Returns the digits each too-narrow slot needs (empty when all fitted) and
    the targets that are not in the document.
    """
    wider: dict[str, int] = {}
    missing: list[str] = []
    for box, element in _slot_boxes(document):
        target = element.get("data-target")
        if target not in pages:
            missing.append(target)
            continue
        number = pages[target]
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


@dataclass
class Rendered:
    document: Document
    html: str  # as laid out, placeholders included
    pages: PageMap
    unfilled: list[str]  # slot targets not in the document
    missing: list[str] = field(default_factory=list)  # index places whose anchors are on no page (`pdfindex`)
    index_html: str = ""  # the index as laid out after the book, if it has one
    keep: object = None  # the index's own document: its fonts must live until the PDF is written


def render(html: str, lay_out: Callable[[str], Document]) -> Rendered:
    """Lay out `html` and fill its page slots with the labels of the pages their targets are on.

    Usually one pass. A slot too narrow for its number costs another pass with
    wider slots; the last pass gives every slot one digit more than the page
    count has, so it always fits.
    """
    digits = estimated_digits(html)
    restart = restart_target(html)
    for attempt in range(1, MAX_PASSES + 1):
        # a target not in the HTML is laid out after it (the index, `pdfindex`): a digit more than any
        laid_out = with_digits(html, digits, default=max(digits.values(), default=1) + 1)
        document = lay_out(laid_out)
        pages = PageMap.of(document, restart)
        wider, missing = write_numbers(document, pages.anchors)
        if not wider:
            break
        if attempt == MAX_PASSES - 1:
            widest = len(str(len(document.pages))) + 1
            digits = {target: widest for target in digits}
        else:
            digits = {**digits, **wider}
    return Rendered(document, laid_out, pages, missing + sorted(wider))  # `wider` is empty unless the page count grew
