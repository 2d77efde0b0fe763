"""Bad input: exit 1, readable messages with file and line, no traceback, last good outputs untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FixtureBook, assert_clean_failure, copy_built, digest_tree


BREAKAGES = {
    "broken link": (lambda b: b.edit("chapters/01_first.md", "./02_second.md#borrowing-a-value", "./02_second.md#nope"),
                    "chapters/01_first.md:5: link './02_second.md#nope' has no target"),
    "failing example": (lambda b: b.edit("chapters/01_first.md", 'println!("{t}");', 'println!("{s}");'),
                        "chapters/01_first.md:8: example 1: does not compile (rustc reported E0382)"),
    "invalid UTF-8": (lambda b: b.path("chapters/02_second.md").write_bytes(b"# Part 2: Second\n\xff\n"),
                      "chapters/02_second.md:2: is not valid UTF-8"),
    "malformed book.toml": (lambda b: b.edit("book.toml", "[chapters]", "[chapters"), "book.toml:11: is not valid TOML"),
    "missing figure": (lambda b: b.path("chapters/figures/box.svg").unlink(), "image 'figures/box.svg' does not exist"),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_failed_build_leaves_the_last_good_outputs_untouched(built_mini: Path, tmp_path: Path, name: str) -> None:
    book = copy_built(built_mini, tmp_path)
    root = book.root
    before = digest_tree(root / "dist")
    assert len(before) > 10
    breakage, message = BREAKAGES[name]
    breakage(book)
    run = book.build()
    assert_clean_failure(run, message, "outputs from the last good build are unchanged")
    assert digest_tree(root / "dist") == before


def test_a_ten_megabyte_chapter_builds(fixture_book: FixtureBook) -> None:
    paragraph = ("Ownership means every value has one owner, and the value is dropped when the owner "
                 "goes out of scope; a borrow lends access without taking it.\n\n")
    fixture_book.append("chapters/02_second.md", "\n" + paragraph * (10_000_000 // len(paragraph)))
    assert fixture_book.path("chapters/02_second.md").stat().st_size > 9_900_000
    run = fixture_book.build("html")
    assert run.code == 0, run.err[-2000:]
    assert (fixture_book.root / "dist" / "html" / "02_second.html").stat().st_size > 9_000_000
