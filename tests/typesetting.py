"""Proofreading a PDF for typesetting defects, as a production editor would, page by page.

Two defects:

- a *stranded line*: a line of body text that ends far short of the measure
  while its paragraph or list item goes on, so the first word of the next line
  would have fitted in the gap ("read / er- / ror E0382"). A greedy line breaker
  never leaves such a gap; when one appears, something broke the line early.
- *overset text*: text that runs past the edge of the text block.

Lines are rebuilt from the PDF's text (PyMuPDF): spans on one baseline are one
line. Body text is set in Charis SIL; code (JetBrains Mono), headings and
tables (Inter) and footnotes (smaller) are left alone, since their lines end
where the author ended them. The text block is measured, not assumed: the
right edge is where most justified lines end on that side of the spread, so the
check holds for any paper size and margins. A line continues its paragraph when
the next line starts at the same left edge one line pitch lower (a new
paragraph adds its margin; a new list item starts with its marker).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BODY_FONT = "Charis"
MIN_BODY_SIZE = 9.0  # footnotes are 8 pt
SHORT = 0.25  # a stranded line leaves at least a quarter of the measure empty ...
MARKER = re.compile(r"^(?:[•◦▪‣–-]|\d+[.)]|[a-z][.)])$")  # list markers drawn before an item's first line


@dataclass(frozen=True)
class Line:
    page: int  # 1-based index in the PDF
    x0: float  # left edge of the text, after a list marker
    x1: float
    baseline: float
    size: float
    body: bool
    marker: bool  # starts with a list marker
    text: str
    first_word: float  # width of the first word


@dataclass(frozen=True)
class Defect:
    kind: str  # "stranded" | "overset"
    page: int
    label: str  # the printed page label, where known
    text: str
    following: str  # the text of the next line (stranded lines)
    where: str = ""  # chapters/FILE.md:LINE, where it can be found

    def format(self) -> str:
        where = f"{self.where}: " if self.where else ""
        label = f" (printed {self.label})" if self.label and self.label != str(self.page) else ""
        if self.kind == "stranded":
            return f"{where}page {self.page}{label}: stranded line {self.text!r}, its paragraph goes on {self.following!r}"
        return f"{where}page {self.page}{label}: text runs outside the text block: {self.text!r}"


def page_lines(page, number: int) -> list[Line]:  # type: ignore[no-untyped-def]
    """The visual lines of one PyMuPDF page, top to bottom."""
    rows: dict[float, list[dict]] = {}
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                if span["text"].strip():
                    rows.setdefault(round(span["origin"][1] * 2) / 2, []).append(span)
    lines = []
    for baseline in sorted(rows):
        spans = sorted(rows[baseline], key=lambda s: s["bbox"][0])
        marker = bool(MARKER.match(spans[0]["text"].strip())) and len(spans) > 1
        body_spans = spans[1:] if marker else spans
        chars = Counter()
        for span in body_spans:
            chars[(BODY_FONT in span["font"], span["size"] >= MIN_BODY_SIZE)] += len(span["text"].strip())
        body = chars[(True, True)] > sum(chars.values()) / 2
        first = body_spans[0]
        word = first["text"].lstrip().split(" ")[0]
        width = first["bbox"][2] - first["bbox"][0]
        first_word = width * len(word) / max(len(first["text"]), 1)
        text = " ".join(span["text"].strip() for span in spans)
        last = spans[-1]  # a span's box includes its trailing spaces, which print nothing
        trailing = len(last["text"]) - len(last["text"].rstrip())
        x1 = max(max(s["bbox"][2] for s in spans[:-1]) if len(spans) > 1 else 0,
                 last["bbox"][2] - (last["bbox"][2] - last["bbox"][0]) * trailing / max(len(last["text"]), 1))
        size = statistics.median(span["size"] for span in body_spans)
        lines.append(Line(number, first["bbox"][0], x1, baseline, size, body,
                          marker, text, first_word))
    return lines


def text_block_edges(pages: list[list[Line]], drawn: dict[int, Counter] | None = None) -> dict[int, tuple[float, float]]:
    """(left, right) of the text block for odd and even pages.

    Listings, boxes and rules span the whole measure, so where a side of the
    spread has some, their outermost recurring edges are the text block; body
    lines alone mislead on a short book whose pages are mostly boxes (their
    lines are indented). Without drawings, the most common edges of body lines.
    """
    edges = {}
    for parity in (0, 1):
        recurring = [edge for edge, count in (drawn or {}).get(parity, Counter()).items() if count >= 2]
        if recurring:
            edges[parity] = (min(x0 for x0, _ in recurring), max(x1 for _, x1 in recurring))
            continue
        lefts, rights = Counter(), Counter()
        for lines in pages:
            for line in lines:
                if line.body and line.page % 2 == parity:
                    lefts[round(line.x0)] += 1
                    rights[round(line.x1)] += 1
        if rights:
            edges[parity] = (lefts.most_common(1)[0][0], rights.most_common(1)[0][0])
    return edges


def full_measure_drawings(page, counts: dict[int, Counter]) -> None:  # type: ignore[no-untyped-def]
    """Count the horizontal extents of the page's wide drawings (listings, boxes, rules), by side of the spread.

    Wider than half the page and narrower than nine tenths of it: a full-bleed
    background or the cover is not the text block.
    """
    width = page.rect.width
    for drawing in page.get_drawings():
        rect = drawing["rect"]
        if 0.5 * width < rect.width < 0.9 * width:
            counts.setdefault((page.number + 1) % 2, Counter())[(round(rect.x0), round(rect.x1))] += 1


def proofread(pdfs: list[Path], skip_pages: int = 0) -> dict[Path, tuple[list[Defect], list[str]]]:
    """Defects on every page of each PDF, and its page labels.

    The PDFs share one page layout (the book, or the handouts of one paper),
    and the text block is measured over all of them together, so a two-page
    handout of lists and tables is held to the same edges as the rest. The
    first `skip_pages` pages of each (a cover) are not set in the text block.
    """
    import pymupdf

    read = {}
    drawn: dict[int, Counter] = {}
    for pdf in pdfs:
        with pymupdf.open(pdf) as document:
            labels = [page.get_label() or str(page.number + 1) for page in document]
            read[pdf] = ([page_lines(page, page.number + 1) for page in document][skip_pages:], labels)
            for page in list(document)[skip_pages:]:
                if sum(drawn.get((page.number + 1) % 2, Counter()).values()) < 40:  # enough to know the block
                    full_measure_drawings(page, drawn)
    edges = text_block_edges([lines for pages, _ in read.values() for lines in pages], drawn)
    return {pdf: (_defects(pages, labels, edges), labels) for pdf, (pages, labels) in read.items()}


def _defects(pages: list[list[Line]], labels: list[str], edges: dict[int, tuple[float, float]]) -> list[Defect]:
    defects = []
    for lines in pages:
        if not lines:
            continue
        page = lines[0].page
        left, right = edges.get(page % 2, edges.get(1 - page % 2, (0, 0)))
        measure = right - left
        body_lines = [line for line in lines if line.body]
        top = min((line.baseline for line in body_lines), default=0)
        bottom = max((line.baseline for line in body_lines), default=0)
        for line in lines:
            if top <= line.baseline <= bottom and (line.x1 > right + 2 or line.x0 < left - 2):
                defects.append(Defect("overset", page, labels[page - 1], line.text, ""))
        for line, following in zip(lines, lines[1:]):
            if not (line.body and following.body) or following.marker:
                continue
            pitch = following.baseline - line.baseline
            if not 1.2 * line.size <= pitch <= 1.65 * line.size or abs(following.x0 - line.x0) > 1.5:
                continue  # not the same paragraph (a new one adds its margin)
            gap = right - line.x1
            if gap > SHORT * measure and gap > following.first_word + line.size:
                defects.append(Defect("stranded", page, labels[page - 1], line.text, following.text))
    return defects


def _letters(text: str) -> tuple[str, list[int]]:
    """Lower-case letters and digits of `text`, with the index of each in `text`."""
    kept = [(char.lower(), index) for index, char in enumerate(text) if char.isalnum()]
    return "".join(c for c, _ in kept), [i for _, i in kept]


def locate(defect: Defect, source: Path, root: Path) -> str:
    """`chapters/FILE.md:LINE` of the defect's text in the chapter source, or "" when it cannot be found."""
    text = source.read_text(encoding="utf-8")
    letters, index = _letters(text)
    for probe in (defect.text + " " + defect.following, defect.text):
        wanted = _letters(probe)[0][:40]
        if len(wanted) < 8:
            continue
        at = letters.find(wanted)
        if at >= 0:
            line = text.count("\n", 0, index[at]) + 1
            return f"{source.relative_to(root)}:{line}"
    return ""
