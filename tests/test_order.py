"""Chapter order comes from book.toml and is cross-checked against everything else."""

from __future__ import annotations

from conftest import FixtureBook, assert_clean_failure


def test_fixture_book_builds(fixture_book: FixtureBook) -> None:
    run = fixture_book.check()
    assert run.code == 0, run.err


def test_missing_part_file(fixture_book: FixtureBook) -> None:
    fixture_book.path("chapters/02_second.md").unlink()
    run = fixture_book.check()
    assert_clean_failure(run, "book.toml:", "chapter 'chapters/02_second.md' is listed in [chapters] order but does not exist")


def test_duplicated_part_number(fixture_book: FixtureBook) -> None:
    fixture_book.write("chapters/02_other.md", "# Part 2: Other\n\nText.\n")
    fixture_book.edit("book.toml", '"02_second.md"]', '"02_second.md", "02_other.md"]')
    run = fixture_book.check()
    assert_clean_failure(run, "part number 02 is used twice: '02_second.md' and '02_other.md'")


def test_gap_in_part_numbers(fixture_book: FixtureBook) -> None:
    fixture_book.path("chapters/02_second.md").rename(fixture_book.path("chapters/03_second.md"))
    fixture_book.edit("chapters/03_second.md", "# Part 2:", "# Part 3:")
    fixture_book.edit("book.toml", '"02_second.md"', '"03_second.md"')
    fixture_book.edit("chapters/README.md", "./02_second.md", "./03_second.md")
    run = fixture_book.check()
    assert_clean_failure(run, "parts jump from 01 to 03: part 02 is missing from the order")


def test_heading_disagrees_with_file_number(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/02_second.md", "# Part 2: Second", "# Part 3: Second")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:1: heading says Part 3 but the file is numbered 02")


def test_file_on_disk_not_in_order(fixture_book: FixtureBook) -> None:
    fixture_book.write("chapters/03_stray.md", "# Part 3: Stray\n\nText.\n")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/03_stray.md: is not in book.toml's [chapters] order")


def test_parts_listed_out_of_number_order(fixture_book: FixtureBook) -> None:
    fixture_book.edit("book.toml", '"01_first.md", "02_second.md"', '"02_second.md", "01_first.md"')
    run = fixture_book.check()
    assert_clean_failure(run, "book.toml:")
    assert "list parts in number order" in run.err or "parts jump" in run.err


def test_introduction_must_list_every_part(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/README.md", "2. [Part 2: Second](./02_second.md)\n", "")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/README.md: the series introduction does not link to '02_second.md'")


def test_introduction_list_out_of_order(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/README.md", "1. [Part 1: First](./01_first.md)\n2. [Part 2: Second](./02_second.md)",
                      "1. [Part 2: Second](./02_second.md)\n2. [Part 1: First](./01_first.md)")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/README.md:5: the list of parts is out of order")


def test_missing_and_duplicated_level_one_heading(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "# Part 1: First\n", "Intro text.\n")
    fixture_book.append("chapters/02_second.md", "\n# Part 2: Again\n")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md:1: has no level-1 heading; start the file with '# Part 1: Title'",
                         "has a second level-1 heading '# Part 2: Again'")


def test_problems_are_reported_together(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/02_second.md", "# Part 2: Second", "# Part 5: Second")
    fixture_book.write("chapters/07_stray.md", "# Part 7: Stray\n")
    run = fixture_book.check()
    assert_clean_failure(run, "heading says Part 5", "07_stray.md", "2 problems")


def test_empty_chapter_and_invalid_utf8(fixture_book: FixtureBook) -> None:
    fixture_book.write("chapters/01_first.md", "   \n")
    fixture_book.path("chapters/02_second.md").write_bytes(b"# Part 2: Second\n\nCaf\xe9\n")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md: is empty", "chapters/02_second.md:3: is not valid UTF-8")


def test_malformed_book_toml(fixture_book: FixtureBook) -> None:
    fixture_book.edit("book.toml", 'title = "Mini Book"', 'title = "Mini Book')
    run = fixture_book.check()
    assert_clean_failure(run, "book.toml:2: is not valid TOML")


def test_unclosed_code_fence(fixture_book: FixtureBook) -> None:
    fixture_book.append("chapters/02_second.md", "\n```rust\nfn main() {}\n")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:", "is never closed")
