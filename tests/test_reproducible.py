"""Same inputs, same bytes: two builds in different folders with one SOURCE_DATE_EPOCH."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, FixtureBook, run_cli
from test_bad_input import digest_tree


def test_builds_in_two_folders_are_byte_identical(tmp_path: Path) -> None:
    trees = []
    for name in ("first", "second/deeper"):
        root = tmp_path / name / "book"
        shutil.copytree(FIXTURES / "mini", root)
        run = run_cli("build", "--root", str(root), "--out", str(root / "dist"), env={"SOURCE_DATE_EPOCH": "1767225600"})
        assert run.code == 0, run.err
        trees.append(digest_tree(root / "dist"))
    assert trees[0] == trees[1]
    assert {"mini-book.pdf", "mini-book.epub", "html/index.html", "handouts/part-01-first.pdf"} <= set(trees[0])


def test_date_comes_from_source_date_epoch(fixture_book: FixtureBook) -> None:
    run = run_cli("build", "html", "--root", str(fixture_book.root), "--out", str(fixture_book.root / "dist"),
                  env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert run.code == 0, run.err
    assert "built 2026-01-01" in fixture_book.read("dist/html/index.html")
