"""The build reads only files inside the project and never touches the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from book.fetcher import ProjectOnlyFetcher
from conftest import FixtureBook, assert_clean_failure


def test_fetcher_serves_project_files_only(tmp_path: Path) -> None:
    inside = tmp_path / "chapters" / "figures" / "a.svg"
    inside.parent.mkdir(parents=True)
    inside.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    fetcher = ProjectOnlyFetcher(tmp_path)
    assert fetcher.fetch(inside.as_uri()).read().startswith(b"<svg")
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://example.com/x.png",
                (tmp_path / "chapters" / ".." / ".." / "outside.txt").as_uri(), "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_raw_html_pointing_outside_is_refused(fixture_book: FixtureBook) -> None:
    fixture_book.append("chapters/02_second.md", '\n<img src="/etc/passwd" alt="x">\n\n<img src="http://example.com/t.png" alt="y">\n')
    run = fixture_book.check()
    assert_clean_failure(run, "image '/etc/passwd' is outside chapters/figures/", "image 'http://example.com/t.png' is remote")


@pytest.mark.parametrize("tag", ["<script>alert(1)</script>", '<iframe src="https://example.com"></iframe>',
                                 '<link rel="attachment" href="/etc/passwd">', "<style>@import url(http://example.com/a.css);</style>"])
def test_active_or_external_raw_html_is_refused(fixture_book: FixtureBook, tag: str) -> None:
    fixture_book.append("chapters/02_second.md", f"\n{tag}\n")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:", "is not allowed in a chapter")


def test_nothing_from_outside_reaches_the_outputs(fixture_book: FixtureBook) -> None:
    fixture_book.append("chapters/02_second.md", "\n[a link, never fetched](http://example.com/secret)\n")
    run = fixture_book.build("html", "epub", "pdf")
    assert run.code == 0, run.err
    for output in ("dist/html/index.html",):
        assert "root:x:0:0" not in fixture_book.read(output)


@pytest.mark.parametrize("svg, message", [
    ("<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>", "is not valid XML"),
    ("<html xmlns='http://www.w3.org/1999/xhtml'/>", "is not an SVG document"),
    ("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "contains <script>"),
    ("<svg xmlns='http://www.w3.org/2000/svg' xmlns:x='http://www.w3.org/1999/xlink'><image x:href='file:///etc/passwd'/></svg>",
     "refers to 'file:///etc/passwd'"),
    ("<!DOCTYPE svg [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><svg xmlns='http://www.w3.org/2000/svg'>&e;</svg>",
     "declares a DOCTYPE or entities"),
])
def test_invalid_or_unsafe_svg_is_refused(fixture_book: FixtureBook, svg: str, message: str) -> None:
    fixture_book.write("chapters/figures/box.svg", svg)
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md:26: figure 'figures/box.svg'", message)
