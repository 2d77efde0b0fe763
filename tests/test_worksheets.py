"""Worksheets for classes: at most four pages with every self-check and no answer; the teacher's key has the answers."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import PROJECT, assert_clean_failure

MAX_PAGES = 4


WHERE = re.compile(r" ?\((?:Part \d+|Appendix [A-Z]|Introduction)\)")  # paper names where a link leads
FOOTER = re.compile(r"(?m)^.*(?:Worksheet|Teacher's key) · page \d+ of \d+$")


def plain(text: str) -> str:
    """Letters and digits only (line breaks, hyphenation, columns and spacing differ from the source), without
    the "(Part 2)" that paper adds after a link: compared alike on both sides."""
    return re.sub(r"[^0-9a-z]", "", WHERE.sub("", text).casefold())


def letters(fragment: str) -> str:
    """The letters and digits of an HTML fragment's text."""
    return plain(html.unescape(re.sub(r"<[^>]+>", "", fragment)))


def pdf_text(path: Path) -> str:
    """The text in reading order, without the page footers and list numbers, which come between the text."""
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return plain(re.sub(r"(?m)^\d+\.$", "", FOOTER.sub("", text)))


@pytest.fixture(scope="module")
def book():  # type: ignore[no-untyped-def]
    """The real book as the build models it (examples, tables and pandoc come from the caches the build left)."""
    from book.pipeline import Reporter, prepare

    return prepare(PROJECT, Reporter(verbosity=0))


def test_every_part_has_a_worksheet_and_a_key_of_its_own(real_book: Path, book) -> None:  # type: ignore[no-untyped-def]
    names = {p.name for p in (real_book / "handouts").glob("*.pdf")}
    assert [sheet.key for sheet in book.worksheets] == [part.key for part in book.parts]
    for sheet, part in zip(book.worksheets, book.parts):
        stem = part.handout_name.removesuffix(".pdf")
        assert {f"{stem}-worksheet.pdf", f"{stem}-teachers-key.pdf"} <= names


def test_worksheets_fit_four_pages_with_every_question_and_no_answer(real_book: Path, book) -> None:  # type: ignore[no-untyped-def]
    for sheet in book.worksheets:
        path = real_book / "handouts" / sheet.sheet_name
        assert len(PdfReader(path).pages) <= MAX_PAGES, path.name
        text = pdf_text(path)
        assert letters(sheet.key_points)[:200] in text, f"{path.name}: key points"
        for question in sheet.questions:
            assert letters(question.prompt) in text, f"{path.name}: Check yourself {question.number} is missing"
            assert letters(question.explanation)[:60] not in text, f"{path.name}: {question.number}'s explanation"
            if question.listing is not None and len(letters(question.listing.result_html)) > 40:
                assert letters(question.listing.result_html) not in text, f"{path.name}: {question.number}'s output"
            for choice in question.choices:
                assert letters(choice.html) in text, f"{path.name}: a choice of {question.number}"
                if choice.feedback:
                    assert letters(choice.feedback)[:60] not in text, f"{path.name}: {question.number}'s feedback"
        for exercise in sheet.exercises:
            assert letters(f"Exercise {exercise.number}: {exercise.title}") in text, path.name
            assert letters(exercise.solution)[:80] not in text, f"{path.name}: Solution {exercise.number}"


def test_teachers_key_has_the_answers_explanations_and_worked_solutions(real_book: Path, book) -> None:  # type: ignore[no-untyped-def]
    for sheet in book.worksheets:
        path = real_book / "handouts" / sheet.answers_name
        text = pdf_text(path)
        for question in sheet.questions:
            assert letters(f"Check yourself {question.number} Answer: {question.letters}") in text or not question.choices
            assert letters(question.explanation)[:120] in text, f"{path.name}: {question.number}'s explanation"
        for exercise in sheet.exercises:
            assert exercise.solution, f"Exercise {exercise.number} has no worked solution"
            solution = letters(exercise.solution)  # its start and its end (a table's header repeats on a new page)
            assert solution[:80] in text and solution[-80:] in text, f"{path.name}: Solution {exercise.number}"


def test_letter_worksheets_fit_four_pages(book) -> None:  # type: ignore[no-untyped-def]
    """Laid out as `make handouts` lays out the Letter copies (one layout each for most parts), not drawn."""
    from book.targets import worksheets

    for sheet in book.worksheets:
        laid_out = worksheets.fit(book, sheet, "letter")  # a BookError if it cannot fit
        assert len(laid_out[0].document.pages) <= MAX_PAGES, sheet.sheet_name


def test_a_part_too_long_for_four_pages_is_an_error_at_its_file(fixture_book) -> None:  # type: ignore[no-untyped-def]
    listing = "\n".join(f"line {n} of a listing" for n in range(90))  # short lines: none wraps
    exercises = "".join(f"\n### Exercise 1.{n}: Long\n\n★ Read this.\n\n```text\n{listing}\n```\n" for n in range(2, 11))
    fixture_book.append("chapters/01_first.md", exercises)
    run = fixture_book.build("handouts")
    assert_clean_failure(run, "chapters/01_first.md:1: the worksheet of Part 1 (part-01-first-worksheet.pdf) needs")


def test_every_solution_has_its_exercise(fixture_book) -> None:  # type: ignore[no-untyped-def]
    fixture_book.edit("book.toml", '"02_second.md"]', '"02_second.md", "appendix_a_solutions.md"]')
    fixture_book.write("chapters/appendix_a_solutions.md", "# Appendix A: Solutions\n\n## Part 1\n\n### Solution 1.1\n\n"
                                                           "Move it.\n\n### Solution 1.2\n\nOf no exercise.\n")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/appendix_a_solutions.md:9: Solution 1.2 has no exercise")
