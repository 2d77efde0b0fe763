"""The learning layer: questions, "If this compiled" boxes, asides, permission tables, Run links.

The fixture book uses every construct (chapters/02_second.md); these tests
build it once and look at each output, then break each construct in the ways
an author could, and expect a clear `file:line` message every time.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from book.constructs import permission_rows
from book.model import CodeBlock, PermissionCell, PermissionRow, PermissionTable
from conftest import FixtureBook, assert_clean_failure, copy_built, digest_tree

CHAPTER = "chapters/02_second.md"


@pytest.fixture(scope="module")
def built(built_mini: Path) -> Path:
    return built_mini


def test_the_web_edition_asks_without_giving_the_answer_away(built: Path) -> None:
    page = (built / "dist/html/02_second.html").read_text(encoding="utf-8")
    quizzes = re.findall(r'<section class="quiz[^"]*" id="(part2-check-\d)"[^>]*data-kind="([a-z-]+)"', page)
    assert quizzes == [("part2-check-1", "choice"), ("part2-check-2", "tracing"), ("part2-check-3", "if-compiled")]
    assert page.count('<details class="quiz-answer">') == 3 and "<details class=\"quiz-answer\" open" not in page
    assert page.count('type="radio"') >= 6 and '<textarea id="part2-check-2-output"' in page
    # a tracing question shows the code, never its label or output, before the answer
    start = page.index(">", page.index('id="part2-check-2"')) + 1  # after the section's start tag, which holds the data
    question = page[start:page.index('<details class="quiz-answer">', start)]
    assert "hi hi" not in question and "listing-label" not in question and "result-output" not in question
    assert 'data-output="hi hi\n"' in page
    assert page.count('class="compiled compiled-ub"') == 1 and page.count('class="compiled compiled-safe"') == 1
    assert '<details class="deeper"' in page and "How borrows end" in page
    assert 'href="01_first.html#part1-moving-a-value"' in page and not re.search(r'href="[^"]*\.md', page)
    assert page.count('<table class="permissions') == 2 and "needs W<span class=\"perm-verdict\">: missing" in page
    assert 'src="assets/quiz.js"' in page


def test_every_rust_listing_on_the_web_has_a_run_link_carrying_its_whole_program(built: Path) -> None:
    page = (built / "dist/html/01_first.html").read_text(encoding="utf-8")
    links = re.findall(r'<a class="run-link" href="([^"]+)"', page)
    assert len(links) == 2  # both Rust listings of Part 1
    query = parse_qs(urlsplit(links[1].replace("&amp;", "&")).query)
    assert query["version"] == ["stable"] and query["edition"] == ["2024"]
    assert query["code"][0] == 'fn main() {\nlet s = String::from("hi");\nlet t = s;\nprintln!("{s} {t}");\n}\n'
    assert "run-link" not in (built / "dist/mini-book.epub").read_bytes().decode("latin-1")


def test_the_epub_links_each_question_to_its_answer_and_back(built: Path) -> None:
    with zipfile.ZipFile(built / "dist/mini-book.epub") as epub:
        text = epub.read("EPUB/02_second.xhtml").decode()
    assert "<script" not in text and "<form" not in text and "<details" not in text
    assert 'href="01_first.xhtml#part1-moving-a-value"' in text  # a link inside an aside, rewritten like any other
    assert not re.search(r'href="[^"]*\.md', text)
    for n in (1, 2, 3):
        assert f'href="#part2-check-{n}-answer"' in text and f'id="part2-check-{n}-answer"' in text
        assert f'<a href="#part2-check-{n}">Check yourself 2.{n}</a>' in text
    key = text[text.index('id="part2-answers"'):]
    assert re.findall(r'Answer:</span> ([A-Z, ]+)</p>', key) == ["B", "B"]  # the ticked choice of 2.1; answer="B" of 2.3
    assert "Answer:</span> It compiles and runs, printing:" in key and "hi hi" in key


@pytest.mark.parametrize("pdf", ["mini-book.pdf", "handouts/part-02-second.pdf"])
def test_print_has_lettered_questions_and_an_answer_key_with_pages_both_ways(built: Path, pdf: str) -> None:
    reader = PdfReader(built / "dist" / pdf)
    labels = list(reader.page_labels)
    pages = [page.extract_text() for page in reader.pages]

    def page_of(pattern: str) -> str:
        found = [labels[i] for i, text in enumerate(pages) if re.search(pattern, text, re.I | re.S)]
        assert found, pattern
        return found[0]

    for n in (1, 2, 3):
        question = page_of(rf"check yourself\s+2\.{n}\b(?!\s*\(question)")
        answer = page_of(rf"check yourself 2\.{n} \(question on page")
        text = "\n".join(pages)
        assert re.search(rf"check yourself\s+2\.{n}.*?answer on page {answer}\b", text, re.I | re.S)
        assert re.search(rf"check yourself 2\.{n} \(question on page {question}\)", text, re.I)
    assert re.search(r"\bA\s+R\b.*\bB\s+W\b.*\bC\s+None\b", "\n".join(pages), re.S)


def test_permission_rows_mark_what_was_gained_and_lost() -> None:
    listing = CodeBlock(line=1, end_line=4, lang="rust", flags=(), code="let a = 1;\nlet b = &a;\n", indent="")
    table = PermissionTable(line=5, end_line=9, listing=listing, places=("a",), rows=(
        PermissionRow(6, "let a = 1;", 1, (PermissionCell(holds=frozenset("RO")),)),
        PermissionRow(7, "let b = &a;", 2, (PermissionCell(holds=frozenset("R")),)),
        PermissionRow(8, "x", 2, (PermissionCell(needs=frozenset("W"), needs_met=False),))))
    rows = permission_rows(table)["rows"]
    assert rows[0]["cells"][0]["marks"] == [("R", "gained"), ("O", "gained")]
    assert rows[1]["cells"][0]["marks"] == [("R", "kept"), ("O", "lost")]
    assert rows[2]["cells"][0] == {"needs": ["W"], "met": False, "marks": []}


# ---- every bad form fails with its line --------------------------------------------------------

def line_of(book: FixtureBook, text: str) -> int:
    return book.read(CHAPTER).split("\n").index(text) + 1


@pytest.mark.parametrize("old, new, at, message", [
    ("- [x] W", "- [ ] W", ":::: quiz", "this question has no right answer"),
    ('answer="B"', 'answer="E"', ':::: {.quiz .if-compiled answer="B"}',
     "answer letter 'E' does not exist: the question has 3 choices, A to C"),
    ("- [ ] None\n", "- [x] None\n", None, None),  # two right answers is a legitimate "select all"
    ("- It prints `hello`.", "- [x] It prints `hello`.", ':::: {.quiz .if-compiled answer="B"}',
     "give the right answers once"),
    ("::: explanation\nA shared borrow", "::: note\nA shared borrow", ":::: quiz", "a question needs exactly one `::: explanation`"),
    ("```rust,compile_fail,E0505\nlet s", "```rust\nlet s", ':::: {.quiz .if-compiled answer="B"}',
     "an if-compiled question shows a listing that does not compile"),
    ("**How borrows end**\n", "How borrows end\n", "::: deeper", "a Going deeper aside starts with its title in bold"),
    ("**How borrows end**\n", "**How borrows end**\n\n### A heading\n", "::: deeper", "a Going deeper aside holds no headings"),
])
def test_a_malformed_construct_fails_at_its_line(fixture_book: FixtureBook, old: str, new: str, at: str | None,
                                                 message: str | None) -> None:
    line = line_of(fixture_book, at) if at else None
    fixture_book.edit(CHAPTER, old, new)
    run = fixture_book.check()
    if message is None:
        assert run.code == 0, run.err
        return
    assert_clean_failure(run, f"{CHAPTER}:{line}: {message}")


def test_a_tracing_answer_that_disagrees_with_rustc_fails_at_the_listing(fixture_book: FixtureBook) -> None:
    fixture_book.edit(CHAPTER, "```rust\nlet a = String::from(\"hi\");", "```rust,compile_fail,E0382\nlet a = String::from(\"hi\");")
    line = line_of(fixture_book, "```rust,compile_fail,E0382")
    assert_clean_failure(fixture_book.check(), f"{CHAPTER}:{line}: example", "expected a compile error (E0382), but it compiled")


@pytest.mark.parametrize("old, new, message", [
    ("| `let first = &v[0];` | R | RO | R |", "| `let first = &v[0];` | RW | RO | R |",
     "permission table: after `let first = &v[0];`, `v` holds R (rustc accepts `&v` there and rejects `&mut v`, "
     "a move of v); the table says RW"),
    ("| `let first = &v[0];` | R | RO | R |", "| `let first = &v[0];` | R | RO | RO |",
     "permission table: after `let first = &v[0];`, `*first` holds R"),
    ("| `v.push(String::from(\"b\"));` | needs W | RO | R |", "| `v.push(String::from(\"b\"));` | needs R | RO | R |",
     "permission table: at `v.push(String::from(\"b\"));`, `v` has R just before this line, yet rustc rejects it"),
    ("| `drop(r1);` | RW |", "| `drop(r1);` | R |",
     "permission table: after `drop(r1);`, `cell`: at run time try_borrow() succeeds and try_borrow_mut() succeeds; "
     "the table says R"),
])
def test_a_permission_claim_rustc_disagrees_with_fails_at_its_row(fixture_book: FixtureBook, old: str, new: str,
                                                                 message: str) -> None:
    fixture_book.edit(CHAPTER, old, new)
    assert_clean_failure(fixture_book.check(), f"{CHAPTER}:{line_of(fixture_book, new)}: {message}")


@pytest.mark.parametrize("old, new, message", [
    ("| `let first = &v[0];` | R | RO | R |", "| `let first = &v[0];` | R | RX | R |", "cell 'RX' is not a permission"),
    ("| `let first = &v[0];` | R | RO | R |", "| `let second = &v[0];` | R | RO | R |",
     "`let second = &v[0];` matches no line of the listing"),
    ("| `let first = &v[0];` | R | RO | R |", "| let first = &v[0]; | R | RO | R |",
     "a row starts with a line of the listing in backticks"),
    ("| `let first = &v[0];` | R | RO | R |", "| `let first = &v[0];` | R | RO |", "this row has 2 cells for 3 places"),
])
def test_a_malformed_permission_table_fails_at_its_row(fixture_book: FixtureBook, old: str, new: str, message: str) -> None:
    fixture_book.edit(CHAPTER, old, new)
    assert_clean_failure(fixture_book.check(), f"{CHAPTER}:{line_of(fixture_book, new)}: {message}")


def test_a_rejected_listing_without_its_box_is_reported(fixture_book: FixtureBook) -> None:
    fixture_book.edit(CHAPTER, "::: safe\nNothing would go wrong: no one else can see `names`; the rule is about intent.\n:::\n", "")
    line = line_of(fixture_book, "```rust,compile_fail,E0596")
    assert_clean_failure(fixture_book.check(), f"{CHAPTER}:{line}: this rejected listing needs an \"If this compiled\" box")


def test_a_box_must_follow_a_rejected_listing(fixture_book: FixtureBook) -> None:
    fixture_book.append(CHAPTER, "\nSome prose.\n\n::: ub\nA box under nothing.\n:::\n")
    line = len(fixture_book.read(CHAPTER).rstrip("\n").split("\n")) - 2
    assert_clean_failure(fixture_book.check(), f"{CHAPTER}:{line}: a ::: ub box explains a rejected listing")


def test_a_broken_construct_leaves_the_last_good_outputs_untouched(built: Path, tmp_path: Path) -> None:
    book = copy_built(built, tmp_path)
    before = digest_tree(book.path("dist"))
    book.edit(CHAPTER, "- [x] W", "- [ ] W")
    assert_clean_failure(book.build(), "this question has no right answer", "outputs from the last good build are unchanged")
    assert digest_tree(book.path("dist")) == before
