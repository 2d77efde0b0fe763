"""Rebuilds do only the work whose inputs changed."""

from __future__ import annotations

from conftest import FixtureBook


def outputs(book: FixtureBook) -> dict[str, float]:
    return {str(p.relative_to(book.root)): p.stat().st_mtime_ns for p in (book.root / "dist").rglob("*") if p.is_file()}


def test_nothing_changed_means_nothing_rerendered(fixture_book: FixtureBook) -> None:
    first = fixture_book.build()
    assert first.code == 0, first.err
    before = outputs(fixture_book)
    second = fixture_book.build()
    assert second.code == 0, second.err
    assert "nothing changed since the last build; nothing re-rendered" in second.err
    assert outputs(fixture_book) == before
    (fixture_book.root / "dist" / "mini-book.epub").unlink()  # a missing output is rebuilt, the rest is kept
    third = fixture_book.build()
    assert third.code == 0, third.err
    for target in ("html", "pdf"):
        assert any(line.startswith(target) and "up to date" in line for line in third.err.splitlines()), third.err
    assert "6 PDFs up to date" in third.err  # two handouts, two worksheets, two teacher's keys
    assert (fixture_book.root / "dist" / "mini-book.epub").is_file()


def test_a_style_or_tool_change_is_not_missed(fixture_book: FixtureBook) -> None:
    assert fixture_book.build("html").code == 0
    run = fixture_book.build("html", "--paper", "letter")  # other settings: a different build
    assert "nothing changed" not in run.err


def test_one_chapter_edited_rerenders_its_handout_only(fixture_book: FixtureBook) -> None:
    assert fixture_book.build().code == 0
    handouts = fixture_book.root / "dist" / "handouts"
    untouched = {name: (handouts / name).stat().st_mtime_ns
                 for name in ("part-01-first.pdf", "part-01-first-worksheet.pdf", "part-01-first-teachers-key.pdf")}
    fixture_book.edit("chapters/02_second.md", "::: note", "A new sentence.\n\n::: note")
    run = fixture_book.build()
    assert run.code == 0, run.err
    assert "3 PDFs, " in run.err and "3 up to date" in run.err, run.err  # Part 2's handout, worksheet and key
    assert {name: (handouts / name).stat().st_mtime_ns for name in untouched} == untouched
    assert "A new sentence." in (fixture_book.root / "dist" / "html" / "02_second.html").read_text()
