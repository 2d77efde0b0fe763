"""The book PDF and the handouts against PDF/UA-1 (ISO 14289-1), checked by an independent validator.

The validator is outloud (PyPI, Apache-2.0): its conformance rules test the
Matterhorn Protocol checkpoints that veraPDF's PDF/UA-1 profile tests (and are
calibrated against it); veraPDF itself cannot be installed here. Every rule is
documented with its ISO clause, Matterhorn checkpoint and fix (`outloud
--list-rules`). Its semantic layer adds heuristics no validator runs; those run
too, and a finding of either layer fails the test unless it is listed below as
an upstream limitation with its reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pymupdf
from outloud import check

from book.load import load_book
from conftest import PROJECT

PDF_NAME = "memory-management-in-rust.pdf"
# Findings that are WeasyPrint's to fix (its PDF/UA umbrella issue, Kozea/WeasyPrint#2482), by rule id.
UPSTREAM = {
    "TAG-020": "WeasyPrint makes a Span structure element for a text box whose only content, a space, collapsed "
               "away at a line break (semantic rule, warning)",
}


def running_heads() -> set[str]:
    """Every text a running head can show: part titles (left pages) and section titles (right pages)."""
    book = load_book(PROJECT)
    return {chapter.full_title for chapter in book.chapters} | {
        re.sub(r"[`*]", "", heading.text) for chapter in book.chapters for heading in chapter.headings}


def in_code(pdf: Path, page: int, fragment: str) -> bool:
    """Whether `fragment` is printed on `page` in the code font (a listing or compiler output)."""
    with pymupdf.open(pdf) as document:
        spans = [span for block in document[page - 1].get_text("dict")["blocks"] for line in block.get("lines", [])
                 for span in line["spans"]]
    return any(fragment in span["text"] and "Mono" in span["font"] for span in spans)


def accepted(finding, pdf: Path, heads: set[str]) -> bool:  # type: ignore[no-untyped-def]
    """Findings of outloud's heuristics that are wrong about this book, each recognised narrowly.

    - TAG-002 on a running head: a section's head shows on one or two pages only, so outloud does not see it
      as page furniture; it is a /Pagination artifact repeating the heading, as PDF/UA-1 7.8 asks.
    - PAG-001 on lines of listings that happen to open or close three pages ("fn main() {"); never on a
      running head or a folio.
    - LNK-010 on a URL inside program output (rustc's "see <https://...>"): data, not a link.
    """
    evidence = [part.strip() for part in (finding.evidence or "").split(";") if part.strip()]
    if finding.rule == "TAG-002":
        return bool(evidence) and all(text in heads for text in evidence)
    if finding.rule == "PAG-001":
        return ("page numbers" not in finding.message and bool(evidence)
                and not any(text in heads or re.fullmatch(r"[ivxlcdm\d]+", text) for text in evidence))
    if finding.rule == "LNK-010":
        return all(in_code(pdf, finding.page, text.rstrip("…")) for text in evidence)
    return False


def findings(path: Path) -> list[str]:
    result = check(str(path))
    assert result.error is None, result.error
    heads = running_heads()
    return [f"{f.rule} {f.severity} p.{f.page}: {f.message} ({f.evidence})" for f in result.sorted_findings()
            if f.severity in ("error", "warning") and f.rule not in UPSTREAM and not accepted(f, path, heads)]


def test_book_pdf_passes_pdf_ua_1(real_book: Path) -> None:
    problems = findings(real_book / PDF_NAME)
    assert problems == [], "\n".join(problems)


def test_handouts_pass_pdf_ua_1(real_book: Path) -> None:
    """The part handouts, the cheat sheet, and each part's worksheet and teacher's key."""
    handouts = sorted((real_book / "handouts").glob("*.pdf"))
    assert len(handouts) == 11 + 2 * 10
    problems = [f"{pdf.name}: {problem}" for pdf in handouts for problem in findings(pdf)]
    assert problems == [], "\n".join(problems)


def test_pdf_declares_pdf_ua_title_and_language(real_book: Path) -> None:
    """What a validator checks first, read here directly: the claim, the title in the window, the language."""
    with pikepdf.open(real_book / PDF_NAME) as pdf:
        root = pdf.Root
        xmp = root.Metadata.read_bytes().decode()
        assert 'pdfuaid:part="1"' in xmp
        assert "Memory Management in Rust" in xmp  # dc:title
        assert bool(root.ViewerPreferences.DisplayDocTitle)
        assert str(root.Lang) == "en"
        assert bool(root.MarkInfo.Marked)
