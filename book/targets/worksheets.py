"""Worksheets for classes: per part, a worksheet of at most four pages and a teacher's key.

The worksheet has the part's key points, its self-check questions without
answers (a box to tick by each choice; lines to write on for a tracing
question) and its exercises with ruled lines to write on. The teacher's key
has the answers with their explanations, as the book's answer key gives them,
and the worked solutions from the solutions appendix. Both come from the
model (`book.worksheets`), through `worksheet.html.j2` and `worksheet.css`.

The worksheet runs in two columns in smaller type, its listings in plain
type (comments in italics). It is laid out with roomy lines to write on after each
exercise (by difficulty: 4, 6 or 8); if that needs more than four pages, the
part past page four is measured and as many lines are taken away as that
calls for (the exercises with the most first, down to 2, 3 or 4), and it is
laid out again; if that still does not fit, or the lines cannot give enough,
it is set in tighter type with the fewest lines. If even that needs more
than four pages, it is an error at the part's file: nothing is dropped to
make it fit. Most parts take one layout.
"""

from __future__ import annotations

import html as html_lib
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from book import __version__
from book.constructs import expand
from book.errors import BookError, Problem
from book.highlight import mark_long_lines
from book.model import Book, Worksheet
from book.targets import PageSetup
from book.targets.handouts import printed_reference
from book.targets.pdf import STYLESHEETS
from book.templating import render_template

if TYPE_CHECKING:
    from book.targets.pagerefs import Rendered

MAX_PAGES = 4
LINE_MM = 8.0  # ruled lines, as on wide-ruled paper (worksheet.css)
# Lines to write on after an exercise, by level (0 unmarked, ★ warm-up, ★★ practice, ★★★ challenge)
ROOMY_LINES = {0: 5, 1: 4, 2: 6, 3: 8}
FEWEST_LINES = {0: 3, 1: 2, 2: 3, 3: 4}
OVERFLOW_MARGIN = 1.25  # a line saved does not always save its height: breaks fall elsewhere
PX_PER_MM = 96 / 25.4  # WeasyPrint lays out in CSS pixels
TRACING_LINES = 2  # "what does it print?"
# rustc's full message under a listing that does not compile: the listing's label names the error
# ("Does not compile (E0382)") and a student gets the message by compiling it; it would take a page.
COMPILER_MESSAGE = re.compile(r'<div class="result result-error"[^>]*>.*?</div>', re.S)
# Syntax colours cost a third of a worksheet's layout time (a span per word) and class copies are
# mostly black and white: listings keep only their comments (italic).
HIGHLIGHT = re.compile(r'<span class="(?:kw|ty|st|nu|ma|fn|lt|at)">([^<]*)</span>')
# A column holds about 56 characters of a listing (60 of its output): longer lines get the hanging indent
# and wrap marker the book gives lines longer than its page (`highlight.mark_long_lines`).
CODE_COLUMNS, OUTPUT_COLUMNS = 55, 60
PRE = re.compile(r'(<pre( class="code")?[^>]*><code[^>]*>)(.*?)(</code></pre>)', re.S)
LONG_LINE = re.compile(r'^<span class="ll">(.*)</span>$')
SECTION_OR_QUESTION = re.compile(r'<h2 [^>]*>(.*?)</h2>|<div data-construct="(quiz-\d+)"></div>', re.S)
XREF = re.compile(r'<a href="#([^"]+)" data-xref="[^"]+"[^>]*>(.*?)</a>', re.S)
EXTERNAL = re.compile(r'<a href="(https?://[^"]+)"[^>]*>(.*?)</a>', re.S)


def on_paper(book: Book, html: str) -> str:
    """Links as a sheet of paper shows them: an in-book link names where to look, "(Part 3)"; a web link its URL."""
    def in_book(match: re.Match[str]) -> str:
        where, text = printed_reference(book, match.group(1)), match.group(2)
        if not where or re.sub(r"<[^>]+>", "", text).strip() == where:  # "see Part 2" says it already
            return text
        return f'{text}<span class="xref-page"> ({where})</span>'

    def external(match: re.Match[str]) -> str:
        url, text = match.groups()
        if re.sub(r"<[^>]+>", "", text).strip() == url:
            return match.group(0)
        return f'{text}<span class="url-note"><a href="{url}">{url}</a></span>'
    return EXTERNAL.sub(external, XREF.sub(in_book, html))


def narrow_listings(html: str) -> str:
    """Mark the lines of every listing and output that are too long for a column (see CODE_COLUMNS)."""
    def mark(match: re.Match[str]) -> str:
        opening, is_code, body, closing = match.groups()
        lines = [LONG_LINE.sub(r"\1", line) for line in body.split("\n")]
        plain = "\n".join(html_lib.unescape(re.sub(r"<[^>]+>", "", line)) for line in lines)
        return opening + mark_long_lines("\n".join(lines), plain, CODE_COLUMNS if is_code else OUTPUT_COLUMNS) + closing
    return PRE.sub(mark, html)


def question_sections(part_html: str) -> dict[str, str]:
    """The `##` section each question of a part stands in (its key -> the section's title, inline HTML): a
    question may speak of "the listing above", which the worksheet names where to find."""
    sections, title = {}, ""
    for match in SECTION_OR_QUESTION.finditer(part_html):
        if match.group(1) is not None:
            title = match.group(1)
        else:
            sections[match.group(2)] = title
    return sections


def sheet_html(book: Book, sheet: Worksheet, paper: str, key: bool, lines: dict[str, int] | None = None,
               tight: bool = False) -> str:
    """The print HTML of a worksheet (`key` False), with `lines` to write on per exercise number, or of its
    teacher's key; `tight` sets it in smaller type."""
    part = next(c for c in book.chapters if c.key == sheet.key)
    setup = PageSetup.of(paper)
    sheets = [*STYLESHEETS, *([setup.stylesheet] if (book.styles_dir / setup.stylesheet).is_file() else []),
              "worksheet.css"]

    def shown(html: str) -> str:  # constructs rendered for paper (none is expected here), links for paper
        return HIGHLIGHT.sub(r"\1", on_paper(book, expand(part, html, "print", page_slot=lambda *_: "")))

    def in_column(html: str) -> str:  # on the worksheet: listings fitted to a column, without rustc's messages
        return narrow_listings(shown(COMPILER_MESSAGE.sub("", html)))

    return render_template(
        "worksheet.html.j2", meta=book.meta, sheet=sheet, key=key, shown=shown, in_column=in_column, sections=question_sections(part.html), lines=lines or {},
        tracing_lines=TRACING_LINES, tight=tight, stylesheets=[f"{book.styles_dir.as_uri()}/{name}" for name in sheets],
        page_size=setup.paper.size, paper=setup.paper.name, build_date=book.build_date,
        timestamp=f"{book.build_date}T00:00:00Z", rustc_version=book.rustc_version,
        generator=f"memory-management-in-rust book pipeline {__version__}",
    )


def render_sheet(book: Book, part_key: str, paper: str, out_dir: Path, cache_dir: Path) -> tuple[Path, int]:
    """Lay out and write one part's worksheet in at most four pages, its room to write sized to fit."""
    from book.targets import pdf

    sheet = next(s for s in book.worksheets if s.key == part_key)
    target = out_dir / sheet.sheet_name
    return target, pdf.write_pdf(fit(book, sheet, paper), book, target, cache_dir, paper)


def fit(book: Book, sheet: Worksheet, paper: str) -> tuple[Rendered, list[str]]:
    """The worksheet laid out in four pages: with roomy lines to write on if it fits, else with as many fewer
    lines as the overflow measured calls for, else in tighter type with the fewest; a BookError at the part's
    file if even that needs more pages."""
    from book.targets import pdf

    roomy = {ex.number: ROOMY_LINES[ex.level] for ex in sheet.exercises}
    laid_out = pdf.lay_out(sheet_html(book, sheet, paper, key=False, lines=roomy), book)
    if len(laid_out[0].document.pages) <= MAX_PAGES:
        return laid_out
    fewer = _fewer_lines(sheet, roomy, overflow_mm(laid_out[0].document, MAX_PAGES))
    if fewer is not None:
        laid_out = pdf.lay_out(sheet_html(book, sheet, paper, key=False, lines=fewer), book)
        if len(laid_out[0].document.pages) <= MAX_PAGES:
            return laid_out
    fewest = {ex.number: FEWEST_LINES[ex.level] for ex in sheet.exercises}
    laid_out = pdf.lay_out(sheet_html(book, sheet, paper, key=False, lines=fewest, tight=True), book)
    pages = len(laid_out[0].document.pages)
    if pages <= MAX_PAGES:
        return laid_out
    part = next(c for c in book.chapters if c.key == sheet.key)
    raise BookError([Problem(part.rel, 1, f"the worksheet of {part.label} ({sheet.sheet_name}) needs {pages} pages on "
                                          f"{PageSetup.of(paper).paper.name} paper even in tighter type with the "
                                          f"fewest lines to write on; it may have at most {MAX_PAGES}: shorten an "
                                          "exercise or a question's listing, or move one to another part")])


def render_key(book: Book, part_key: str, paper: str, out_dir: Path, cache_dir: Path) -> tuple[Path, int]:
    from book.targets import pdf

    sheet = next(s for s in book.worksheets if s.key == part_key)
    target = out_dir / sheet.answers_name
    return target, pdf.render_pdf(sheet_html(book, sheet, paper, key=True), book, target, cache_dir, paper)


def overflow_mm(document: object, pages: int) -> float:
    """How much of a two-column layout runs past page `pages`, in millimetres of column."""
    over = 0.0
    for page in document.pages[pages:]:  # type: ignore[attr-defined]
        box = page._page_box  # noqa: SLF001
        top, middle = box.content_box_y(), box.content_box_x() + box.width / 2
        ends = [top, top]  # the lowest line or ruled line in the left and in the right column
        for leaf in _leaves(box.children[0]):  # the root box; the page's other children are its margin boxes
            column = 0 if leaf.position_x < middle else 1
            ends[column] = max(ends[column], leaf.position_y + leaf.margin_height())
        over += sum(end - top for end in ends)
    return over / PX_PER_MM


def _leaves(box: object) -> list:
    """The line boxes and empty blocks (the ruled lines) under `box`."""
    found, stack = [], [box]
    while stack:
        child = stack.pop()
        children = getattr(child, "children", None)
        if type(child).__name__ == "LineBox" or children == [] and hasattr(child, "margin_height"):
            found.append(child)
        elif children:
            stack.extend(children)
    return found


def _fewer_lines(sheet: Worksheet, lines: dict[str, int], overflow: float) -> dict[str, int] | None:
    """`lines` with enough taken away to save `overflow` mm (and a margin for breaks that fall differently),
    a line at a time from the exercises that have the most; None if even the fewest would not save that much."""
    needed = math.ceil(overflow * OVERFLOW_MARGIN / LINE_MM)
    fewer = dict(lines)
    floor = {ex.number: FEWEST_LINES[ex.level] for ex in sheet.exercises}
    for _ in range(needed):
        number = max(fewer, key=lambda n: (fewer[n] - floor[n], n), default=None)
        if number is None or fewer[number] <= floor[number]:
            return None
        fewer[number] -= 1
    return fewer
