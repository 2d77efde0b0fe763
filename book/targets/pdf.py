"""The book PDF: the print template rendered by WeasyPrint with print.css.

The HTML it renders is kept beside the cache (`.cache/print/book.html`) so an
author can open exactly what WeasyPrint saw.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from markupsafe import Markup

from book import __version__
from book.constructs import for_target
from book.errors import BookError, Problem
from book.locate import Locator
from book.model import Book, Chapter
from book.outputs import write_bytes_atomic, write_text_atomic
from book.targets import BLEED, PageSetup, RenderOptions, pagelist, pagerefs, pdfindex
from book.targets.indexview import print_index
from book.templating import render_template

# Writes the index's HTML once the book's pages are known: (page map, first page label, missing places) -> HTML.
IndexWriter = Callable[[pagerefs.PageMap, str, list[str]], str]
STYLESHEETS = ("base.css", "print.css")
# PDF/UA-1 (ISO 14289-1): tagged, PDF 1.7, title shown in the window, the conformance claim in XMP.
PDF_VARIANT = "pdf/ua-1"
EXTERNAL_LINK = re.compile(r'<a href="(https?://[^"]+)"([^>]*)>(.*?)</a>', re.S)
# An in-book link; the front matter (roman page numbers) keeps CSS target-counter, see print.css.
CROSS_REFERENCE = re.compile(r'(<a href="#([^"]+)" data-xref="(?!intro")[^"]+"[^>]*>.*?</a>)', re.S)


def pdf_name(book: Book) -> str:
    return f"{book.meta.slug}.pdf"


def print_chapter(chapter: Chapter) -> Chapter:
    """The chapter with its constructs rendered for print: lettered questions, an answer key with page numbers."""
    return for_target(chapter, "print", page_slot=page_slot)


def page_slot(target: str, suffix: str = "") -> Markup:
    return Markup(pagerefs.slot(target, suffix))


def print_html(book: Book, chapters: tuple[Chapter, ...], paper: str, front_matter: bool, handout: bool = False,
               index_parts: tuple[tuple[str, str], ...] = (), back_matter: str = "", first_page: str = "") -> str:
    """The print document: front matter and TOC (book) or a title block (handout), then the chapters.

    Handouts pass chapters already through `print_chapter`; the book passes them as converted.
    `index_parts` lists the index in the contents and leaves its place at the end (`pdfindex`);
    the index itself is a document of its own, `back_matter` alone, with folios from `first_page`.
    """
    css_dir = book.styles_dir.as_uri()
    setup = PageSetup.of(paper)
    sheets = [*STYLESHEETS, *([setup.stylesheet] if (book.styles_dir / setup.stylesheet).is_file() else [])]
    return render_template(
        "print.html.j2",
        meta=book.meta,
        chapters=[_for_print(c if handout else print_chapter(c)) for c in chapters],
        handout=handout,
        stylesheets=[f"{css_dir}/{name}" for name in sheets],
        page_size=setup.paper.size,
        paper=setup.paper.name,
        bleed=BLEED if setup.crop_marks else None,
        with_front_matter=front_matter,
        build_date=book.build_date,
        timestamp=f"{book.build_date}T00:00:00Z",
        rustc_version=book.rustc_version,
        generator=f"memory-management-in-rust book pipeline {__version__}",
        page_slot=page_slot,
        index_parts=index_parts,
        back_matter=Markup(back_matter),
        first_page=first_page,
    )


def _for_print(chapter: Chapter) -> Chapter:
    """Paper has no hyperlinks: external links get their URL as a footnote, in-book links the page they lead to."""

    def footnote(match: re.Match[str]) -> str:
        url, attrs, text = match.groups()
        if re.sub(r"<[^>]+>", "", text).strip() == url:
            return match.group(0)  # the URL is already printed in the text
        # The printed URL is a link too: a reader of the PDF on screen can follow it (and PDF/UA
        # checkers expect an address shown as text to be one).
        return f'<a href="{url}" class="url-link"{attrs}>{text}</a><span class="url-note"><a href="{url}">{url}</a></span>'

    def page_reference(match: re.Match[str]) -> str:
        link, target = match.groups()
        # "page" and its number never part at a line break (a no-break space; the slot pads with figure spaces)
        return f'{link}<span class="xref-page"> (page\u00a0{pagerefs.slot(target, suffix=")")}</span>'

    html = CROSS_REFERENCE.sub(page_reference, EXTERNAL_LINK.sub(footnote, chapter.html))
    return replace(chapter, html=_inline_footnotes(html))


FOOTNOTE_SECTION = re.compile(r'<section id="[^"]*footnotes"[^>]*>.*?</section>', re.S)
FOOTNOTE_ITEM = re.compile(r'<li id="([^"]+)">(.*?)</li>', re.S)
FOOTNOTE_REF = re.compile(r'<a href="#([^"]+)" class="footnote-ref"[^>]*><sup>\d+</sup></a>')
BACKLINK = re.compile(r'<a href="#[^"]+" class="footnote-back"[^>]*>.*?</a>', re.S)


def _inline_footnotes(html: str) -> str:
    """Pandoc's end-of-chapter notes become footnotes at the foot of the page."""
    section = FOOTNOTE_SECTION.search(html)
    if not section:
        return html
    notes = {}
    for note_id, body in FOOTNOTE_ITEM.findall(section.group(0)):
        body = BACKLINK.sub("", body).strip()
        notes[note_id] = re.sub(r"^<p>(.*)</p>$", r"\1", body, flags=re.S).replace("<p>", "").replace("</p>", " ")
    html = FOOTNOTE_SECTION.sub("", html)
    return FOOTNOTE_REF.sub(lambda m: f'<span class="footnote">{notes.get(m.group(1), "")}</span>', html)


def lay_out(html: str, book: Book, index_html: IndexWriter | None = None) -> tuple[pagerefs.Rendered, list[str]]:
    """One layout of `html` by WeasyPrint, page slots filled; also the URLs the fetcher refused.

    With `index_html`, the index is laid out after the book, once its pages are known, and takes the place of
    the book's empty last page (`pdfindex`): the result is the whole document.
    """
    import weasyprint  # slow imports (about a second), only when a PDF is made

    from book.fetcher import ProjectOnlyFetcher
    from book.targets import upstream

    upstream.install()
    fetcher = ProjectOnlyFetcher(book.root, book.styles_dir)

    def lay_out_once(document_html: str) -> weasyprint.Document:
        return weasyprint.HTML(string=document_html, base_url=book.chapters_dir.as_uri() + "/",
                               url_fetcher=fetcher).render()

    rendered = pagerefs.render(html, lay_out_once)
    if index_html is not None:
        indexed = pdfindex.append(rendered, index_html, lay_out_once)
        rendered = replace(rendered, document=indexed.document, pages=indexed.pages, unfilled=indexed.unfilled,
                           missing=indexed.missing, index_html=indexed.html, keep=indexed.keep)
    return rendered, fetcher.refused


def render_pdf(html: str, book: Book, target: Path, cache_dir: Path, paper: str = "a4", page_list: bool = False,
               index_html: IndexWriter | None = None) -> int:
    """Render `html` to `target` atomically; return the page count.

    Page references are filled in after layout (see `pagerefs`); the HTML
    kept in the cache is the one WeasyPrint laid out, placeholders included.
    With `page_list`, the page map kept in the cache also records where each
    page begins, for the EPUB's page list (`pagelist`). `index_html` writes
    the index once the pages are known (`pdfindex`).
    """
    key = pagelist.layout_key(book, html) if page_list else None
    return write_pdf(lay_out(html, book, index_html), book, target, cache_dir, paper, key)


def write_pdf(laid_out: tuple[pagerefs.Rendered, list[str]], book: Book, target: Path, cache_dir: Path,
              paper: str = "a4", layout_key: str | None = None) -> int:
    """Write one layout (`lay_out`) to `target` atomically and keep its page map; return the page count.

    With `layout_key` (of the HTML laid out), the map records where each page begins (`pagelist`).
    """
    rendered, refused = laid_out
    document, unfilled, misplaced = rendered.document, rendered.unfilled, rendered.missing
    write_text_atomic(cache_dir / "print" / f"{target.stem}.html", rendered.html)
    if rendered.index_html:
        write_text_atomic(cache_dir / "print" / f"{target.stem}.index.html", rendered.index_html)
    pages = rendered.pages
    if layout_key is not None:
        pages = replace(pages, starts=pagelist.page_starts(document), key=layout_key)
    pages.save(page_map_path(cache_dir, target, paper))
    data = document.write_pdf(pdf_variant=PDF_VARIANT, finisher=partial(_finish, rendered.pages))
    problems = [_refusal(book, target, url) for url in dict.fromkeys(refused)]
    problems += [Problem(target.name, None, f"no page number for the reference to #{name}: the target is not in "
                         "this document") for name in dict.fromkeys(unfilled)]
    problems += [Problem(target.name, None, f"no page number for the index's place #{name}: it is on no page of "
                         "this document") for name in dict.fromkeys(misplaced)]
    if problems:
        raise BookError(problems)
    write_bytes_atomic(target, data)
    return len(document.pages)


def _refusal(book: Book, target: Path, url: str) -> Problem:
    """A URL WeasyPrint was refused, reported where it was written: a chapter's line if a chapter names it."""
    message = f"refused to load {url}: only files inside the project may be used"
    for chapter in book.chapters:
        line = Locator(chapter.source).line_of(url)
        if line:
            return Problem(chapter.rel, line, message)
    return Problem(target.name, None, message + " (named by a stylesheet or the print template)")


def page_map_path(cache_dir: Path, target: Path, paper: str = "a4") -> Path:
    """Where the page labels of a PDF's one layout are kept (`pagerefs.PageMap`), beside the HTML laid out.

    One file per paper, so that a Letter build does not replace the A4 map the EPUB's page list reads.
    """
    suffix = "" if paper == "a4" else "." + paper.replace("+", "-")
    return cache_dir / "print" / f"{target.stem}{suffix}.pages.json"


def _finish(pages: pagerefs.PageMap, document: object, pdf: object) -> None:
    """Last touches to the PDF objects: page labels as printed, links that print, list items with a body.

    /PageLabels makes a viewer show "v" on the contents and "47" on printed
    page 47 (and "go to page 47" land there). Link annotations get the Print
    flag (PDF/UA-1 7.18.1: what a reader of the screen gets, paper gets too).
    """
    import pydyf

    nums = pydyf.Array()
    for start, style in pages.pdf_page_labels():
        nums.extend([start, pydyf.Dictionary({"S": f"/{style}"})])
    pdf.catalog["PageLabels"] = pydyf.Dictionary({"Nums": nums})  # type: ignore[attr-defined]
    objects = list(pdf.objects)  # type: ignore[attr-defined]
    for obj in objects:
        if not isinstance(obj, pydyf.Dictionary):
            continue
        if obj.get("Type") == "/Annot" and "F" not in obj:
            obj["F"] = 4
        elif obj.get("S") == "/LI":
            _give_body(pdf, obj, objects)


def _give_body(pdf, item, objects) -> None:  # type: ignore[no-untyped-def]
    """Wrap what follows a list item's label in an LBody (PDF/UA-1 7.6).

    WeasyPrint tags the paragraphs of a loose list item (`<li><p>`) as children
    of the LI itself. Only structure elements move; marked content ids stay with
    the elements that hold them, so the parent tree stays right.
    """
    import pydyf

    kids = [objects[int(ref.split()[0])] for ref in item["K"] if isinstance(ref, bytes)]
    if len(kids) != len(item["K"]) or any(kid.get("S") == "/LBody" for kid in kids):
        return  # marked content directly in the LI, or a body already
    content = [kid for kid in kids if kid.get("S") != "/Lbl"]
    if not content:
        return
    body = pydyf.Dictionary({"Type": "/StructElem", "S": "/LBody", "P": item.reference,
                             "K": pydyf.Array(kid.reference for kid in content)})
    if "Pg" in item:
        body["Pg"] = item["Pg"]
    pdf.add_object(body)
    for kid in content:
        kid["P"] = body.reference
    item["K"] = pydyf.Array([*(kid.reference for kid in kids if kid.get("S") == "/Lbl"), body.reference])


def book_print_html(book: Book, paper: str) -> str:
    """The whole book as laid out for print: front matter, every chapter, and the index's empty page if it has one."""
    return print_html(book, book.chapters, paper, front_matter=True, index_parts=pdfindex.index_parts(book.index))


def book_index_writer(book: Book, paper: str) -> IndexWriter | None:
    """What writes the book's index after layout (`pdfindex`), or None for a book without one."""
    if not pdfindex.index_parts(book.index):
        return None

    def index_html(pages: pagerefs.PageMap, first_page: str, missing: list[str]) -> str:
        return print_html(book, (), paper, front_matter=False, first_page=first_page,
                          back_matter=print_index(book.index, pages.anchors, missing))

    return index_html


def render(book: Book, options: RenderOptions) -> tuple[Path, int]:
    target = options.out_dir / pdf_name(book)
    html = book_print_html(book, options.paper)
    pages = render_pdf(html, book, target, options.cache_dir, options.paper,
                       page_list=options.paper == pagelist.PAPER, index_html=book_index_writer(book, options.paper))
    return target, pages
