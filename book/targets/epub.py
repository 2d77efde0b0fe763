"""The EPUB 3: one XHTML file per chapter, nav and NCX, built with ebooklib.

Readers get a raster cover (drawn from the book's metadata), landmarks,
accessibility metadata, pop-up footnotes and CSS without custom properties
(older reading systems ignore `var()`). ebooklib stamps zip entries with the
current time; the archive is rewritten with `mimetype` first (stored) and
every entry dated from the build date, so the same sources give
byte-identical EPUB files.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from book.constructs import for_target
from book.cover import cover_png
from book.model import Book, Chapter
from book.outputs import write_bytes_atomic
from book.targets import RenderOptions, pagelist
from book.targets.indexview import screen_index
from book.targets.paging import rewrite_hrefs

if TYPE_CHECKING:
    from book.targets.pagerefs import PageMap

NOTE_REF = re.compile(r'<a href="([^"]+)" class="footnote-ref"')
NOTE_ITEM = re.compile(r'<li id="([^"]+-fn\d+)">')
CSS_VARIABLE = re.compile(r"var\((--[\w-]+)\)")
CSS_DEFINITION = re.compile(r"(--[\w-]+)\s*:\s*([^;]+);")
COVER_IMAGE = "images/cover.png"
COVER_PAGE = "cover.xhtml"
INDEX_FILE = "book-index.xhtml"
ACCESSIBILITY = (
    ("schema:accessMode", "textual"),
    ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessModeSufficient", "textual,visual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
    ("schema:accessibilitySummary",
     "Text with headings in a logical order, a navigable table of contents and landmarks. "
     "Every figure has a text description; program listings and compiler messages are real text. "
     "No content relies on colour alone, and the body text uses the reading system's chosen font."),
)


def epub_name(book: Book) -> str:
    return f"{book.meta.slug}.epub"


def chapter_file(chapter: Chapter) -> str:
    return f"{chapter.output_stem}.xhtml"


def with_note_semantics(html: str) -> str:
    """epub:type noteref/footnote, so reading systems show notes as pop-ups."""
    html = NOTE_REF.sub(r'<a href="\1" class="footnote-ref" epub:type="noteref"', html)
    return NOTE_ITEM.sub(r'<li id="\1" epub:type="footnote">', html)


def flatten_css(css: str) -> str:
    """Replace `var(--x)` by its value from :root: many e-readers ignore custom properties."""
    values = dict(CSS_DEFINITION.findall(css))
    css = CSS_DEFINITION.sub("", css)
    css = re.sub(r":root\s*\{\s*\}", "", css)
    return CSS_VARIABLE.sub(lambda m: values.get(m.group(1), "inherit").strip(), css)


def _stylesheet_text(book: Book) -> str:
    css = "\n".join((book.styles_dir / name).read_text(encoding="utf-8") for name in ("base.css", "epub.css"))
    return flatten_css(css)


def build_epub_bytes(book: Book, pages: PageMap | None = None) -> bytes:
    """The EPUB; with `pages` (the A4 print edition's page map, see `pagelist`), also its page list."""
    from ebooklib import epub

    meta = book.meta
    publication = epub.EpubBook()
    publication.set_identifier(meta.identifier)
    publication.set_title(meta.title)
    publication.set_language(meta.language)
    for index, author in enumerate(meta.authors):
        publication.add_author(author, uid=f"creator{index}")
    if meta.subtitle:
        publication.add_metadata("DC", "title", meta.subtitle, {"id": "subtitle"})
        publication.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    for key, value in (("publisher", meta.publisher), ("description", meta.description),
                       ("rights", f"Licensed under {meta.license}" if meta.license else "")):
        if value:
            publication.add_metadata("DC", key, value)
    publication.add_metadata("DC", "date", book.build_date)
    for keyword in meta.keywords:
        publication.add_metadata("DC", "subject", keyword)
    for prop, value in ACCESSIBILITY:
        if pages is not None and prop == "schema:accessibilitySummary":
            value += " " + PAGE_LIST_SUMMARY
        publication.add_metadata(None, "meta", value, {"property": prop})
    if pages is not None:
        for feature in ("pageBreakMarkers", "pageNavigation"):
            publication.add_metadata(None, "meta", feature, {"property": "schema:accessibilityFeature"})
        publication.add_metadata(None, "meta", page_break_source(book), {"property": "pageBreakSource"})

    stylesheet = epub.EpubItem(uid="style-book", file_name="styles/book.css", media_type="text/css",
                               content=_stylesheet_text(book).encode())
    publication.add_item(stylesheet)
    publication.set_cover(COVER_IMAGE, cover_png(meta), create_page=False)
    bodies = {chapter.key: with_note_semantics(rewrite_hrefs(book, for_target(chapter, "epub"), chapter_file))
                 for chapter in book.chapters}
    markers = pagelist.place(pages, bodies) if pages is not None else []
    cover = epub.EpubHtml(uid="cover-page", title="Cover", file_name=COVER_PAGE, lang=meta.language)
    alt = html.escape(f"Cover: {meta.title}. {meta.subtitle}")
    image = f'<img epub:type="cover" role="doc-cover" src="{COVER_IMAGE}" alt="{alt}"/>'
    cover.content = f'<section class="cover-page">{_with_markers(image, markers, "cover")}</section>'.encode()
    cover.add_item(stylesheet)
    publication.add_item(cover)

    for index, figure in enumerate(book.figures, 1):
        publication.add_item(epub.EpubItem(uid=f"figure-{index}", file_name=figure.name, media_type=figure.media_type,
                                           content=figure.path.read_bytes()))

    documents = []
    toc = []
    for chapter in book.chapters:
        document = epub.EpubHtml(uid=f"doc-{chapter.key}", title=chapter.full_title, file_name=chapter_file(chapter),
                                 lang=meta.language)
        kind = {"intro": "introduction", "appendix": "appendix"}.get(chapter.kind, "chapter")
        document.content = (f'<section class="chapter chapter-{chapter.kind}" id="{chapter.key}" epub:type="{kind}" '
                            f'role="doc-{kind}">{_with_markers(bodies[chapter.key], markers, chapter.key)}'
                            "</section>").encode()
        document.add_item(stylesheet)
        publication.add_item(document)
        documents.append(document)
        sections = [epub.Link(f"{chapter_file(chapter)}#{h.id}", h.text, f"nav-{h.id}")
                    for h in chapter.toc if h.level == 2 and chapter.kind == "part"]
        link = epub.Link(chapter_file(chapter), chapter.full_title, f"nav-{chapter.key}")
        toc.append((epub.Section(chapter.full_title, href=chapter_file(chapter)), sections) if sections else link)
    index = _index_document(book, stylesheet)
    if index is not None:
        publication.add_item(index)
        documents.append(index)
        toc.append(epub.Link(INDEX_FILE, "Index", "nav-index"))
    publication.toc = toc
    publication.add_item(epub.EpubNcx())
    nav = epub.EpubNav(title="Contents")
    nav.add_item(stylesheet)
    publication.add_item(nav)
    start = next((c for c in book.chapters if c.kind == "part"), book.chapters[0])
    publication.guide = [
        {"href": COVER_PAGE, "title": "Cover", "type": "cover"},
        {"href": "nav.xhtml", "title": "Contents", "type": "toc"},
        {"href": chapter_file(start), "title": start.full_title, "type": "bodymatter"},
        *([{"href": INDEX_FILE, "title": "Index", "type": "index"}] if index is not None else []),
    ]
    publication.spine = [cover, "nav", *documents]

    raw = io.BytesIO()
    modified = dt.datetime.strptime(book.build_date, "%Y-%m-%d")
    epub.write_epub(raw, publication, {"mtime": modified, "epub3_pages": False, "epub3_landmark": True,
                                       "landmark_title": "Landmarks", "epub2_guide": True})
    patches = {"EPUB/content.opf": lambda opf: _declare_language(opf, meta.language)}
    if pages is not None:
        files = {"cover": COVER_PAGE, **{chapter.key: chapter_file(chapter) for chapter in book.chapters},
                 "contents": "nav.xhtml"}
        patches["EPUB/nav.xhtml"] = lambda nav: _with_page_list(nav, markers, files)
    return normalize_zip(raw.getvalue(), modified, patches)


PAGE_LIST_SUMMARY = ("Page break markers and a page list give the page numbers of the A4 print edition: the front "
                     "matter in roman numerals, the parts from page 1. The print title page and colophon have no "
                     "counterpart here; their page numbers lead to the end of the cover.")


def page_break_source(book: Book) -> str:
    """Which print edition the page numbers come from (it has no ISBN; the title, edition and date name it)."""
    meta = book.meta
    edition = f", {meta.edition}" if meta.edition else ""
    return f"{meta.title}{edition}, A4 print edition (PDF) of {book.build_date}"


def _with_markers(content: str, markers: list[pagelist.Marker], document: str) -> str:
    return pagelist.insert(content, [m for m in markers if m.document == document])


def _with_page_list(nav: bytes, markers: list[pagelist.Marker], files: dict[str, str]) -> bytes:
    """The contents pages' markers around the table of contents, and the page list after the other navs."""
    text = nav.decode("utf-8")
    toc_start = text.index('<nav epub:type="toc"')
    toc_end = text.index("</nav>", toc_start) + len("</nav>")
    before = "".join(pagelist.marker_html(m.label) for m in markers if m.document == "contents" and m.position == "toc")
    after = "".join(pagelist.marker_html(m.label) for m in markers if m.document == "contents" and m.position != "toc")
    items = "".join(f'<li><a href="{files[m.document]}#{pagelist.marker_id(m.label)}">{html.escape(m.label)}</a></li>'
                    for m in markers)
    page_list = ('<nav epub:type="page-list" role="doc-pagelist" id="page-list" aria-labelledby="page-list-title" '
                 f'hidden="hidden"><h2 id="page-list-title">Pages</h2><ol>{items}</ol></nav>')
    body_end = text.rindex("</body>")
    text = (text[:toc_start] + before + text[toc_start:toc_end] + after + text[toc_end:body_end] + page_list
            + text[body_end:])
    return text.encode("utf-8")


def _index_document(book: Book, stylesheet: object) -> object | None:
    """The back-of-book index as its own document, every place a link into its chapter (`indexview`)."""
    from ebooklib import epub

    if not book.index:
        return None

    def href(element_id: str) -> str:
        owner = book.chapter_for_id(element_id)
        return f"{chapter_file(owner)}#{element_id}" if owner else f"#{element_id}"

    document = epub.EpubHtml(uid="doc-index", title="Index", file_name=INDEX_FILE, lang=book.meta.language)
    document.content = str(screen_index(book.index, href, epub=True)).encode()
    document.add_item(stylesheet)
    return document


def _declare_language(opf: bytes, language: str) -> bytes:
    """ebooklib omits xml:lang on <package>; accessibility checkers require it."""
    return opf.replace(b'<package xmlns="http://www.idpf.org/2007/opf"',
                       f'<package xml:lang="{language}" xmlns="http://www.idpf.org/2007/opf"'.encode(), 1)


def normalize_zip(data: bytes, when: dt.datetime, patches: dict | None = None) -> bytes:
    """mimetype first and stored, every entry dated `when`, fixed permissions; `patches` edit entries by name."""
    timestamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    ordered = ["mimetype"] + [n for n in names if n != "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            content = source.read(name)
            if patches and name in patches:
                content = patches[name](content)
            target.writestr(info, content)
    return out.getvalue()


def render(book: Book, options: RenderOptions, pages: PageMap | None = None) -> Path:
    target = options.out_dir / epub_name(book)
    write_bytes_atomic(target, build_epub_bytes(book, pages))
    return target
