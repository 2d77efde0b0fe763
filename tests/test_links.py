"""Links between parts are checked in the sources (file and line) and in every output."""

from __future__ import annotations

from conftest import FixtureBook, assert_clean_failure


def test_broken_file_link_suggests_the_close_name(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "./02_second.md#borrowing-a-value", "./02_secnd.md#borrowing-a-value")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md:5: link './02_secnd.md#borrowing-a-value' has no target",
                         "did you mean './02_second.md'?")


def test_broken_anchor_suggests_the_close_heading(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "#borrowing-a-value", "#borowing-a-value")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md:5: link './02_second.md#borowing-a-value' has no target",
                         "did you mean '#borrowing-a-value'?")


def test_broken_in_page_anchor(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "(#moving-a-value)", "(#moving-values)")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md:", "link '#moving-values' has no target")


def test_missing_figure(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "figures/box.svg", "figures/bx.svg")
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/01_first.md:26: image 'figures/bx.svg' does not exist; did you mean 'figures/box.svg'?")


def test_figure_path_may_not_leave_the_project(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "figures/box.svg", "../../../../../../etc/passwd")
    run = fixture_book.check()
    assert_clean_failure(run, "image '../../../../../../etc/passwd' is outside chapters/figures/")


def test_remote_image_is_refused(fixture_book: FixtureBook) -> None:
    fixture_book.edit("chapters/01_first.md", "figures/box.svg", "https://example.com/x.png")
    run = fixture_book.check()
    assert_clean_failure(run, "image 'https://example.com/x.png' is remote")


def test_link_into_the_series_introduction(fixture_book: FixtureBook) -> None:
    fixture_book.append("chapters/02_second.md", "\nSee [the parts](./README.md#mini-book).\n")
    assert fixture_book.check().code == 0
    fixture_book.append("chapters/02_second.md", "\nSee [nothing](./README.md#no-such-heading).\n")
    run = fixture_book.check()
    assert_clean_failure(run, "link './README.md#no-such-heading' has no target: chapters/README.md has no heading")


def test_links_are_rewritten_per_output(fixture_book: FixtureBook) -> None:
    run = fixture_book.build("html", "epub")
    assert run.code == 0, run.err
    html = fixture_book.path("dist/html/index.html").read_text(encoding="utf-8")
    assert 'href="#part2-borrowing-a-value"' in html
    assert ".md" not in "".join(part.split('"')[0] for part in html.split('href="')[1:])
    import zipfile
    with zipfile.ZipFile(fixture_book.path("dist/mini-book.epub")) as epub:
        first = epub.read("EPUB/01_first.xhtml").decode()
    assert 'href="02_second.xhtml#part2-borrowing-a-value"' in first
    assert 'href="introduction.xhtml"' in first


def test_generic_type_outside_backticks_is_caught(fixture_book: FixtureBook) -> None:
    line = len(fixture_book.read("chapters/02_second.md").rstrip("\n").split("\n")) + 2
    fixture_book.append("chapters/02_second.md", "\nA Rc<RefCell<Node>> graph, and `Vec<T>` in code is fine,\neven ``across `Vec<T>`\nlines``.\n")
    run = fixture_book.check()
    assert_clean_failure(run, f"chapters/02_second.md:{line}: '<Node>' reads as an HTML tag")
    assert "1 problem" in run.err
