"""The book PDF and the handouts, checked with pypdf and poppler as a reader would see them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pymupdf
import pytest
from pypdf import PdfReader

from book.load import load_book
from book.targets.handouts import handout_chapters
from book.targets.pagerefs import roman
from conftest import PROJECT, FixtureBook
from typesetting import proofread


@pytest.fixture(scope="module")
def book():
    return load_book(PROJECT)


def page_text(path: Path, page: int) -> str:
    """Text of one page (1-based) in reading layout, as pdftotext gives it."""
    return subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


def test_running_heads_show_the_part_on_left_pages(real_book: Path, book) -> None:
    pdf_path = real_book / "memory-management-in-rust.pdf"
    reader = PdfReader(pdf_path)
    starts = {o.title: reader.get_destination_page_number(o) + 1 for o in reader.outline if not isinstance(o, list)}
    for chapter in book.parts:
        start = starts[chapter.full_title]
        left = start + 3 if (start + 3) % 2 == 0 else start + 4  # an even page inside the part
        head = next(line for line in page_text(pdf_path, left).splitlines() if line.strip()).strip()
        assert head == chapter.full_title, f"page {left}: {head!r}"
        opener_lines = [line.strip() for line in page_text(pdf_path, start).splitlines() if line.strip()]
        assert opener_lines[0].replace(" ", "") == f"PART{chapter.number}", "a part opener has no running head"


def test_pdf_is_tagged_for_screen_readers(real_book: Path) -> None:
    info = subprocess.run(["pdfinfo", str(real_book / "memory-management-in-rust.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)


def test_handouts_exist_for_every_part_with_their_own_page_numbers(real_book: Path, book) -> None:
    chapters = handout_chapters(book)
    assert len([c for c in chapters if c.kind == "part"]) == 10
    for chapter in chapters:
        path = real_book / "handouts" / chapter.handout_name
        pages = len(PdfReader(path).pages)
        first = page_text(path, 1)
        assert "Handout" in first and chapter.title in first, chapter.name
        last = page_text(path, pages)
        assert f"page {pages} of {pages}" in last, f"{chapter.handout_name}: no 'page {pages} of {pages}'"
        if chapter.kind == "part":
            assert "Exercises" in subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
            assert pages >= 10, f"{chapter.handout_name} has only {pages} pages"
    worksheets = [f"{c.handout_name.removesuffix('.pdf')}-{kind}.pdf" for c in chapters if c.kind == "part"
                  for kind in ("worksheet", "teachers-key")]
    assert sorted(p.name for p in (real_book / "handouts").glob("*.pdf")) == sorted(
        [c.handout_name for c in chapters] + worksheets)


def test_cheat_sheet_handout_fits_one_sheet(real_book: Path) -> None:
    assert len(PdfReader(real_book / "handouts" / "appendix-c-cheat-sheet.pdf").pages) <= 2


def test_handout_links_name_the_part_instead_of_a_book_page(real_book: Path) -> None:
    """Links out of the part say which part; links within it print the handout's own page."""
    path = real_book / "handouts" / "part-03-lifetimes.pdf"
    pages = len(PdfReader(path).pages)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert re.search(r"\(Part [12]\)", text)
    in_part = [int(n) for n in re.findall(r"\(page (\d+)\)", text)]
    assert in_part and max(in_part) <= pages


def test_letter_paper(fixture_book: FixtureBook) -> None:
    run = fixture_book.build("pdf", "handouts", "--paper", "letter")
    assert run.code == 0, run.err
    for path in (fixture_book.path("dist/mini-book.pdf"), fixture_book.path("dist/handouts/letter/part-01-first.pdf")):
        box = PdfReader(path).pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (612, 792), path


FOLIO = re.compile(r"^\s*([ivxlcdm]+|\d+)\s*$")


def folios(path: Path) -> list[str | None]:
    """The page number printed at the foot of each page (None where none is printed)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for page in text.split("\f")[:-1]:
        lines = [line for line in page.splitlines() if line.strip()]
        match = FOLIO.match(lines[-1]) if lines else None
        out.append(match.group(1) if match else None)
    return out


def test_front_matter_is_roman_and_part_1_opens_on_page_1(real_book: Path, book) -> None:
    """As in a printed book; the PDF's page labels say the same, so a viewer shows "v" and "47" as printed."""
    pdf_path = real_book / "memory-management-in-rust.pdf"
    with pymupdf.open(pdf_path) as document:  # page labels and bookmarks as a viewer reads them
        labels = [page.get_label() for page in document]
        starts = {title: page - 1 for level, title, page in document.get_toc() if level == 1}
    part1 = starts[book.parts[0].full_title]
    assert labels[part1] == "1"
    assert labels[:part1] == [roman(n) for n in range(1, part1 + 1)]
    assert labels[part1:] == [str(n) for n in range(1, len(labels) - part1 + 1)]
    assert labels[starts["Contents"]] == roman(starts["Contents"] + 1)
    printed = folios(pdf_path)
    assert len(printed) == len(labels)
    mismatched = [(index + 1, folio, labels[index]) for index, folio in enumerate(printed)
                  if folio is not None and folio != labels[index]]
    assert mismatched == [], mismatched[:10]
    assert sum(folio is not None for folio in printed) > 0.9 * len(labels) - 20  # blank pages and the cover have none
    assert printed[starts["Contents"]] == labels[starts["Contents"]]


def test_handout_pages_are_labelled_from_1(real_book: Path) -> None:
    reader = PdfReader(real_book / "handouts" / "part-03-lifetimes.pdf")
    assert reader.page_labels == [str(n) for n in range(1, len(reader.pages) + 1)]


def test_trade_size_with_crop_marks(fixture_book: FixtureBook) -> None:
    """7.5 x 9.25 in trimmed, 3 mm bleed and crop marks around it; margins mirror across the spread."""
    run = fixture_book.build("pdf", "handouts", "--paper", "trade", "--crop-marks")
    assert run.code == 0, run.err
    for path in (fixture_book.path("dist/mini-book.pdf"), fixture_book.path("dist/handouts/trade/part-01-first.pdf")):
        page = PdfReader(path).pages[-1]
        trim = [round(float(v), 1) for v in page.trimbox]
        assert (trim[2] - trim[0], trim[3] - trim[1]) == (540.0, 666.0), path  # 7.5 x 9.25 in
        bleed = round(float(page.trimbox[0]) - float(page.mediabox[0]), 1)
        assert bleed == round(3 / 25.4 * 72, 1), path
    pdf = fixture_book.path("dist/mini-book.pdf")
    reader = PdfReader(pdf)
    part1 = reader.page_labels.index("1")
    assert part1 % 2 == 0  # parts open on a right-hand page
    lefts = []
    for index in (part1, part1 + 1):  # a right-hand page, then a left-hand one
        text = subprocess.run(["pdftotext", "-bbox", "-f", str(index + 1), "-l", str(index + 1), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        page = reader.pages[index]  # pdftotext measures from the media box, the bleed included
        lefts.append(min(float(x) for x in re.findall(r'xMin="([\d.]+)"', text))
                     - (float(page.trimbox[0]) - float(page.mediabox[0])))
    inside, outside = 21 / 25.4 * 72, 15 / 25.4 * 72
    assert abs(lefts[0] - inside) < 1.5 and abs(lefts[1] - outside) < 1.5, lefts
    defects, labels = proofread([pdf], skip_pages=1)[pdf]
    assert defects == [] and labels[part1 - 1] == roman(part1)


def test_an_unknown_paper_size_is_a_command_line_error(fixture_book: FixtureBook) -> None:
    run = fixture_book.build("pdf", "--paper", "b5")
    assert run.code == 2 and "Traceback" not in run.err
    assert "invalid choice: 'b5' (choose from 'a4', 'letter', 'trade')" in run.err
