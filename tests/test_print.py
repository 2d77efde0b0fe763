"""The book PDF and the handouts, checked with pypdf and poppler as a reader would see them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from book.load import load_book
from book.targets.handouts import handout_chapters
from conftest import PROJECT, FixtureBook


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
    assert sorted(p.name for p in (real_book / "handouts").glob("*.pdf")) == sorted(c.handout_name for c in chapters)


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
