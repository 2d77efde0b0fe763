"""Every page of the book PDF and of the handouts, proofread for stranded lines and overset text (typesetting.py)."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
import weasyprint

from book.load import load_book
from book.targets import upstream
from book.targets.handouts import handout_chapters
from conftest import PROJECT
from typesetting import Defect, locate, proofread

PDF_NAME = "memory-management-in-rust.pdf"


@pytest.fixture(scope="module")
def book():
    return load_book(PROJECT)


def report(defects: list[Defect]) -> str:
    return "\n".join(defect.format() for defect in defects)


def chapter_of_pages(pdf: Path, book) -> list[Path | None]:  # type: ignore[no-untyped-def]
    """The chapter source each page of the book belongs to, from the PDF's top-level bookmarks."""
    by_title = {chapter.full_title: chapter.path for chapter in book.chapters}
    with pymupdf.open(pdf) as document:
        owners: list[Path | None] = [None] * document.page_count
        starts = sorted((page, by_title.get(title)) for level, title, page in document.get_toc() if level == 1)
    for (start, path), (end, _) in zip(starts, [*starts[1:], (len(owners) + 1, None)]):
        for index in range(start - 1, end - 1):
            owners[index] = path
    return owners


def located(defects: list[Defect], sources: list[Path | None] | Path) -> list[Defect]:
    out = []
    for defect in defects:
        source = sources if isinstance(sources, Path) else sources[defect.page - 1]
        where = locate(defect, source, PROJECT) if source else ""
        out.append(Defect(defect.kind, defect.page, defect.label, defect.text, defect.following, where))
    return out


def test_book_pdf_has_no_stranded_lines_or_overset_text(real_book: Path, book) -> None:
    pdf = real_book / PDF_NAME
    defects, _ = proofread([pdf], skip_pages=1)[pdf]  # the cover is not set in the text block
    assert not defects, "\n" + report(located(defects, chapter_of_pages(pdf, book)))


def test_handouts_have_no_stranded_lines_or_overset_text(real_book: Path, book) -> None:
    chapters = {real_book / "handouts" / chapter.handout_name: chapter for chapter in handout_chapters(book)}
    found = []
    for pdf, (defects, _) in proofread(list(chapters)).items():
        found += [Defect(d.kind, d.page, pdf.name, d.text, d.following, d.where)
                  for d in located(defects, chapters[pdf].path)]
    assert not found, "\n" + report(found)


def write_specimen(tmp_path: Path, html: str) -> Path:
    pdf = tmp_path / "specimen.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    return pdf


def test_the_proofreader_finds_a_stranded_line_and_overset_text(tmp_path: Path) -> None:
    """A hard line break strands the words before it; an unbreakable word runs past the edge."""
    filler = "Every program that allocates memory must keep answering one question. " * 4
    html = (f'<html lang="en"><head><style>@page {{ size: A5; margin: 15mm }} body {{ font: 10.5pt/1.45 "Charis SIL";'
            f' text-align: justify }}</style></head><body><p>{filler}</p><p>{filler}Short<br>{filler}</p>'
            f'<p>{filler} {"x" * 120} {filler}</p></body></html>')
    pdf = write_specimen(tmp_path, html)
    defects, _ = proofread([pdf])[pdf]
    kinds = sorted(d.kind for d in defects)
    assert kinds == ["overset", "stranded"], report(defects)
    stranded = next(d for d in defects if d.kind == "stranded")
    assert stranded.text.endswith("Short") and stranded.page == 1


def test_the_line_break_workaround_keeps_part_1_first_bullet_together(tmp_path: Path) -> None:
    """Part 1's opening bullet broke as "read / er- / ror E0382" (WeasyPrint's bug, see upstream.py)."""
    bullet = ("<ul><li>read error E0382 (&#8220;use of moved value&#8221;) and its relatives, and fix them without "
              "reaching for <code>.clone()</code> by reflex;</li></ul>")
    style = ('<style>@page { size: A4; margin: 22mm 20mm 24mm 22mm } body { font: 10.5pt/1.45 "Charis SIL"; '
             'hyphens: auto } code { font: 0.88em "JetBrains Mono" }</style>')
    html = f'<html lang="en"><head>{style}</head><body>{bullet}</body></html>'
    upstream.install()
    document = weasyprint.HTML(string=html).render()
    lines = [box for box in document.pages[0]._page_box.descendants() if type(box).__name__ == "LineBox"]
    texts = ["".join(b.text for b in line.descendants() if hasattr(b, "text")) for line in lines]
    assert len(texts) == 2 and texts[0].startswith("read error E0382"), texts


def test_the_line_break_workaround_covers_a_text_that_ends_just_past_the_line() -> None:
    """The trade edition broke Solution 10.1 as "must lend it, and the construct- / or then ..." (same bug)."""
    item = ("<li><code>Tag::new(label: &amp;str)</code> always copies. A caller that owns a <code>String</code> and has "
            "no further use for it (as <code>main</code> does) must lend it, and the constructor then allocates a "
            "second copy. <code>impl Into&lt;String&gt;</code> accepts both: a <code>String</code> is moved in for "
            "free, a <code>&amp;str</code> is copied once.</li>")
    sheets = "".join(f'<link rel="stylesheet" href="{(PROJECT / "styles" / name).as_uri()}">'
                     for name in ("base.css", "print.css", "paper-trade.css"))
    html = (f'<html lang="en"><head>{sheets}<style>@page {{ size: 7.5in 9.25in }}</style></head><body>'
            f'<section class="chapter chapter-appendix"><ul>{item}</ul></section></body></html>')
    upstream.install()
    document = weasyprint.HTML(string=html).render()
    lines = [box for box in document.pages[0]._page_box.descendants() if type(box).__name__ == "LineBox"]
    texts = ["".join(b.text for b in line.descendants() if hasattr(b, "text")) for line in lines]
    assert not any(text.endswith("construct\u2010") for text in texts), texts
    assert any("constructor then allocates" in text for text in texts), texts
