"""The back-of-book index: page numbers that are true, links that land, marks that fail at their line.

The PDF's index is checked as a reader would use it: each number it prints is
looked up by its printed label (the PDF's /PageLabels) and the page's text must
name the term (any inflection, or the words an author marked) or the error code.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import pymupdf
import pytest

from book.bookindex import Form, Text, forms_of
from book.pipeline import Reporter, cache_dir_for, prepare
from book.targets.indexview import ERRORS_ID, INDEX_ID, PageRun, page_runs
from book.model import IndexLocator
from conftest import PROJECT, assert_clean_failure, copy_built

PDF = "memory-management-in-rust.pdf"
ENTRY = re.compile(r'<p class="ix-entry[^"]*" id="([^"]+)">(.*?)</p>', re.S)
RUN = re.compile(r'<a href="#([^"]+)" class="ix-page[^"]*">([^<]+)</a>')
MM = 72 / 25.4


@pytest.fixture(scope="module")
def real_index():
    """The real book's index as gathered (everything it reads is cached by the real build)."""
    return prepare(PROJECT, Reporter(verbosity=0)).index


def printed_runs(laid_out: str) -> dict[str, list[tuple[str, str]]]:
    """Entry id -> [(anchor, printed text)] of each page number in the index HTML WeasyPrint laid out."""
    runs = {}
    for entry_id, body in ENTRY.findall(laid_out):
        runs[entry_id] = RUN.findall(body)
    return runs


def body_text(page: pymupdf.Page) -> str:
    """A page's text inside the text block (no running head, no folio), with line-end hyphens joined."""
    rect = page.rect
    text = page.get_text(clip=pymupdf.Rect(0, 15 * MM, rect.width, rect.height - 18 * MM))
    return unicodedata.normalize("NFKC", text)


def names(text: str, forms: list[Form]) -> bool:
    variants = (re.sub(r"(?<=\w)[-\u2010]\n(?=\w)", "", text), re.sub(r"(?<=\w)\u2010?\n(?=\w)", "-", text), text)
    return any(Text(f"<p>{html_lib.escape(v, quote=False)}</p>").find(f) is not None for v in variants for f in forms)


def test_every_page_number_in_the_pdf_index_is_a_page_that_names_the_term(real_book: Path, real_index) -> None:
    document = pymupdf.open(real_book / PDF)
    labels = [page.get_label() for page in document]
    laid_out = (cache_dir_for(PROJECT) / "print" / f"{Path(PDF).stem}.index.html").read_text(encoding="utf-8")
    runs = printed_runs(laid_out)
    entries = {entry.id: entry for entry in real_index.entries}
    assert set(runs) == set(entries)  # every entry printed, sub-entries too
    checked = 0
    wrong = []
    texts: dict[int, str] = {}
    for entry_id, entry_runs in runs.items():
        entry = entries[entry_id]
        forms = [*forms_of(entry.html), *(Form(text, True) for text in entry.forms),
                 *(Form(text, False) for text in entry.forms if re.search(r"[A-Za-z0-9]", text))]
        for _, printed in entry_runs:
            for label in printed.split("\u2013"):
                page = labels.index(label)
                text = texts.setdefault(page, body_text(document[page]))
                checked += 1
                if not names(text, forms):
                    wrong.append(f"{entry_id}: page {label} does not name any of {[f.text for f in forms]}")
    assert checked > 400
    assert wrong == []


def test_the_pdf_index_prints_what_was_laid_out_and_every_number_links_to_its_page(real_book: Path) -> None:
    document = pymupdf.open(real_book / PDF)
    labels = [page.get_label() for page in document]
    first = labels.index(next(label for label in labels if label == _label_of(document, INDEX_ID)))
    laid_out = (cache_dir_for(PROJECT) / "print" / f"{Path(PDF).stem}.index.html").read_text(encoding="utf-8")
    expected = Counter(text for runs in printed_runs(laid_out).values() for _, text in runs)
    found: Counter[str] = Counter()
    for page in document.pages(first):
        words = page.get_text("words")
        for link in page.get_links():
            if "page" not in link:
                continue
            area = link["from"]
            text = "".join(w[4] for w in words if pymupdf.Point((w[0] + w[2]) / 2, (w[1] + w[3]) / 2) in area)
            text = text.strip(",.;")
            if not re.fullmatch(r"[0-9ivxlc]+(?:\u2013[0-9ivxlc]+)?", text):
                continue  # a see-reference
            found[text] += 1
            assert labels[link["page"]] == text.split("\u2013")[0], f"{text} links to page {labels[link['page']]}"
    assert found == expected and sum(found.values()) > 400


def _label_of(document: pymupdf.Document, name: str) -> str:
    destination = document.resolve_names()[name]
    return document[destination["page"]].get_label()


def test_every_glossary_term_is_indexed_with_a_place_in_the_text(real_index) -> None:
    glossary = (PROJECT / "chapters" / "appendix_b_glossary.md").read_text(encoding="utf-8")
    terms = re.findall(r"^### (.+)$", glossary, re.M)
    definitions = [entry for entry in real_index.entries if any(loc.definition for loc in entry.locators)]
    assert len(definitions) >= len(terms) > 100
    assert all(any(not loc.definition for loc in entry.locators) for entry in definitions)
    assert len(real_index.codes) > 20 and {"E0382", "E0502", "E0499", "E0505"} <= {e.html for e in real_index.codes}


def test_pages_merge_into_ranges_and_print_once() -> None:
    pages = {"a": "4", "b": "5", "c": "5", "d": "9", "e": "12", "f": "14", "g": "30", "h": "xii"}
    locators = (IndexLocator("h"), IndexLocator("a"), IndexLocator("c"), IndexLocator("b"), IndexLocator("d", end="f"),
                IndexLocator("e"), IndexLocator("g", definition=True), IndexLocator("x"))
    missing: list[str] = []
    runs = page_runs(locators, pages, missing)
    assert [run.text for run in runs] == ["xii", "4\u20135", "9\u201314", "30"]
    assert runs[-1] == PageRun("30", "30", "#g", definition=True) and missing == ["x"]


def _index_links(document: str) -> list[str]:
    section = document.split(f'id="{INDEX_ID}"', 1)[1]
    return re.findall(r'<a href="([^"]+)"', section)


def _ids(document: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', document))


@pytest.mark.parametrize("edition", ["single", "multi"])
def test_every_web_index_link_lands(real_book: Path, real_index, edition: str) -> None:
    site = real_book / "html"
    page = "index.html" if edition == "single" else "book-index.html"
    document = (site / page).read_text(encoding="utf-8")
    assert 'class="toc-index' in document.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    links = _index_links(document)
    ids: dict[str, set[str]] = {}
    for href in links:
        name, _, fragment = href.partition("#")
        target = name or page
        ids.setdefault(target, _ids((site / target).read_text(encoding="utf-8")))
        assert fragment in ids[target], f"{page}: {href} lands nowhere"
    places = sum(len(e.locators) for e in real_index.entries)
    assert len(links) > places / 2  # a section linked once per entry
    assert {e.id for e in real_index.entries} <= _ids(document)


def test_every_epub_index_link_lands(real_book: Path, real_index) -> None:
    archive = zipfile.ZipFile(real_book / "memory-management-in-rust.epub")
    document = archive.read("EPUB/book-index.xhtml").decode()
    assert 'epub:type="index"' in document and 'role="doc-index"' in document
    nav = archive.read("EPUB/nav.xhtml").decode()
    assert 'href="book-index.xhtml"' in nav.split('epub:type="toc"', 1)[1]
    assert 'epub:type="index" href="book-index.xhtml"' in nav  # a landmark
    links = _index_links(document)
    for href in links:
        name, _, fragment = href.partition("#")
        target = name or "book-index.xhtml"
        assert fragment in _ids(archive.read(f"EPUB/{target}").decode()), href
    assert len(links) > 400 and ERRORS_ID in _ids(document)


def test_the_mini_book_has_an_index_with_its_marks(built_mini: Path) -> None:
    text = pymupdf.open(built_mini / "dist" / "mini-book.pdf")
    pages = [page.get_text() for page in text]
    index = next(i for i, page in enumerate(pages) if page.startswith("Index\n"))
    assert "borrowck. See borrowing" in " ".join(pages[index].split())
    assert re.search(r"borrowing, \d", pages[index]) and "ending," in pages[index]
    web = (built_mini / "dist" / "html" / "book-index.html").read_text(encoding="utf-8")
    assert "<code>RefCell</code>" in web and "Index of compiler errors" in web


@pytest.mark.parametrize("mark, message", [
    ("[]{.index}", "chapters/01_first.md:5: this index mark has no term"),
    ('[Moving]{.index termm="move"}', "chapters/01_first.md:5: an index mark takes the attributes see, see-also, "
                                      "sub, term, not 'termm'; did you mean 'term'?"),
    ("[Moving]{.index .begin}", "chapters/01_first.md:5: an index mark takes the classes .start and .end"),
    ("[Moving]{.index .start}", "chapters/01_first.md:5: the range of 'Moving' opened here is never closed"),
    ('[Moving]{.index see="nothing here"}', "chapters/01_first.md:5: see 'nothing here': the index has no such term"),
])
def test_a_bad_mark_fails_the_build_at_its_line(built_mini: Path, tmp_path: Path, mark: str, message: str) -> None:
    book = copy_built(built_mini, tmp_path)
    book.edit("chapters/01_first.md", '[Moving]{.index term="move" see-also="owner"}', mark)
    assert_clean_failure(book.check(), message)
