"""The EPUB's page list: the A4 print edition's page numbers, at the places those pages begin.

Checked against the PDF built from the same sources (its page labels and its
text as poppler reads it), and that an EPUB-only build takes the page map from
the cache instead of laying the book out again.
"""

from __future__ import annotations

import html
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import copy_built, run_cli

BOOK = "memory-management-in-rust"
MARKER = re.compile(r'<span epub:type="pagebreak" role="doc-pagebreak" id="page-([^"]+)" aria-label="([^"]+)"\s*'
                    r'(?:/>|></span>)')
PAGE_LIST_ITEM = re.compile(r'<li><a href="([^"#]+)#([^"]+)">([^<]+)</a></li>')
# Text one edition shows and the other does not: print's "(page 47)" and "(question on page 5)"; the
# EPUB's note numbers and its links from a question to its answer.
PRINT_ONLY = re.compile(r"\((?:question on )?page\s+\w+\)")
EPUB_ONLY = re.compile(r'<a [^>]*class="(?:footnote-ref|quiz-link)"[^>]*>.*?</a>', re.S)
NEEDLE = 16  # letters and digits of text after a marker looked for on its page


def letters(text: str) -> str:
    """Only letters and digits, lower case: line breaks, hyphenation and spacing differ between editions."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def epub_files(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist() if name.endswith((".xhtml", ".opf"))}


def page_list(files: dict[str, str]) -> list[tuple[str, str, str]]:
    """(document, id, label) of every page-list entry, in order."""
    nav = files["EPUB/nav.xhtml"]
    assert nav.count('epub:type="page-list"') == 1
    return PAGE_LIST_ITEM.findall(nav.split('epub:type="page-list"', 1)[1].split("</nav>", 1)[0])


def test_page_list_has_every_printed_page_in_reading_order(real_book: Path) -> None:
    """One entry per page of the A4 PDF, labelled as the PDF labels it (i, ii ... then 1, 2 ...), each leading to
    its marker, and the markers in the EPUB's reading order are in page order."""
    files = epub_files(real_book / f"{BOOK}.epub")
    entries = page_list(files)
    labels = PdfReader(real_book / f"{BOOK}.pdf").page_labels
    assert [label for _, _, label in entries] == list(labels)
    assert labels[0] == "i" and "1" in labels
    spine = re.findall(r'<itemref idref="([^"]+)"', files["EPUB/content.opf"])
    href = dict(re.findall(r'<item href="([^"]+)" id="([^"]+)"', files["EPUB/content.opf"]))
    order = [next(h for h, i in href.items() if i == item) for item in spine]
    in_reading_order = [(label, ident) for document in order
                        for ident, label in MARKER.findall(files[f"EPUB/{document}"])]
    assert [label for label, _ in in_reading_order] == list(labels)
    for document, ident, label in entries:
        assert ident == f"page-{label}" and f'id="{ident}"' in files[f"EPUB/{document}"], (document, label)


def test_text_after_each_marker_is_on_that_page_of_the_pdf(real_book: Path) -> None:
    """Where the EPUB says page N begins, the text that follows is on page N of the PDF."""
    pdf = real_book / f"{BOOK}.pdf"
    labels = PdfReader(pdf).page_labels
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    pages = {label: letters(PRINT_ONLY.sub("", page)) for label, page in zip(labels, text)}
    checked, misplaced = 0, []
    for name, content in epub_files(real_book / f"{BOOK}.epub").items():
        if name.endswith(("nav.xhtml", "cover.xhtml", ".opf")):
            continue  # pages without a counterpart (title page, colophon, contents) lead to the nearest place
        for marker in MARKER.finditer(content):
            after = content[marker.end():marker.end() + 4000]
            if MARKER.match(after.lstrip()):
                continue  # a blank page: it shares the next page's place
            words = html.unescape(re.sub(r"<[^>]+>", " ", EPUB_ONLY.sub("", after))).split()
            needle = ""
            for word in words:
                needle += letters(word)
                if len(needle) >= NEEDLE:
                    break
            if len(needle) < NEEDLE:
                continue  # the end of a document
            checked += 1
            page = pages[marker.group(1)]
            # poppler may read a listing's columns (line numbers, carets) in another order: then every word counts
            if needle not in page and not all(letters(word) in page for word in words[:6] if letters(word)):
                misplaced.append(f"{name}: page {marker.group(1)} begins at {' '.join(words[:8])!r}")
    assert checked > 0.9 * len(labels), f"only {checked} of {len(labels)} pages checked"
    assert misplaced == [], "\n".join(misplaced)


def test_accessibility_metadata_names_the_print_edition(real_book: Path) -> None:
    opf = epub_files(real_book / f"{BOOK}.epub")["EPUB/content.opf"]
    features = re.findall(r'<meta property="schema:accessibilityFeature">([^<]+)</meta>', opf)
    assert {"pageBreakMarkers", "pageNavigation"} <= set(features)
    source = re.findall(r'<meta property="pageBreakSource">([^<]+)</meta>', opf)
    assert len(source) == 1 and "Memory Management in Rust" in source[0] and "A4" in source[0]


def pages_step(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("pages ")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def mini_copy(built_mini: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return copy_built(built_mini, tmp_path)


def test_epub_only_build_takes_the_page_map_from_the_cache(mini_copy, tmp_path: Path) -> None:
    """The PDF build's layout serves the EPUB; changed print sources are laid out once, and that is kept too."""
    book = mini_copy
    run = book.build("epub")  # the copy's outputs are elsewhere: the EPUB is rendered, the A4 layout is cached
    assert run.code == 0, run.err
    assert "from the cached print layout" in pages_step(run.err)
    book.edit("chapters/01_first.md", "## Moving a value", "## Moving a value\n\nA new paragraph moves the pages.")
    run = book.build("epub")
    assert run.code == 0, run.err
    assert "book laid out" in pages_step(run.err)
    run = run_cli("build", "epub", "--root", str(book.root), "--out", str(tmp_path / "again"))
    assert run.code == 0, run.err
    assert "from the cached print layout" in pages_step(run.err)
    with zipfile.ZipFile(tmp_path / "again" / "mini-book.epub") as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
    assert 'epub:type="page-list"' in nav and "#page-1" in nav
