"""The EPUB 3: one XHTML file per chapter, nav and NCX, built with ebooklib.

ebooklib stamps zip entries with the current time; the archive is rewritten
with `mimetype` first (stored) and every entry dated from the build date, so
the same sources give byte-identical EPUB files.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from book.model import Book, Chapter
from book.outputs import write_bytes_atomic
from book.targets import RenderOptions
from book.targets.html import used_figures

HREF_FRAGMENT = re.compile(r'href="#([^"]+)"')
MEDIA_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}


def epub_name(book: Book) -> str:
    return f"{book.meta.slug}.epub"


def chapter_file(chapter: Chapter) -> str:
    return f"{chapter.output_stem}.xhtml"


def rewrite_hrefs(book: Book, chapter: Chapter) -> str:
    """In-book anchors point into the file of the chapter that holds them."""
    def rewrite(match: re.Match[str]) -> str:
        element_id = match.group(1)
        owner = book.chapter_for_id(element_id)
        if owner is None or owner.key == chapter.key:
            return match.group(0)
        if element_id == owner.key:
            return f'href="{chapter_file(owner)}"'
        return f'href="{chapter_file(owner)}#{element_id}"'
    return HREF_FRAGMENT.sub(rewrite, chapter.html)


def build_epub_bytes(book: Book) -> bytes:
    from ebooklib import epub

    meta = book.meta
    publication = epub.EpubBook()
    publication.set_identifier(meta.identifier)
    publication.set_title(meta.title)
    publication.set_language(meta.language)
    for author in meta.authors:
        publication.add_author(author)
    if meta.subtitle:
        publication.add_metadata(None, "meta", meta.subtitle, {"property": "dcterms:alternative"})
    if meta.publisher:
        publication.add_metadata("DC", "publisher", meta.publisher)
    if meta.description:
        publication.add_metadata("DC", "description", meta.description)
    if meta.license:
        publication.add_metadata("DC", "rights", f"Licensed under {meta.license}")
    publication.add_metadata("DC", "date", book.build_date)
    for keyword in meta.keywords:
        publication.add_metadata("DC", "subject", keyword)

    css = (book.styles_dir / "base.css").read_text(encoding="utf-8") + "\n" + \
        (book.styles_dir / "epub.css").read_text(encoding="utf-8")
    stylesheet = epub.EpubItem(uid="style-book", file_name="styles/book.css", media_type="text/css", content=css.encode())
    publication.add_item(stylesheet)

    for index, figure in enumerate(used_figures(book), 1):
        suffix = Path(figure).suffix.lower()
        publication.add_item(epub.EpubItem(uid=f"figure-{index}", file_name=figure, media_type=MEDIA_TYPES[suffix],
                                           content=(book.chapters_dir / figure).read_bytes()))

    documents = []
    toc = []
    for chapter in book.chapters:
        document = epub.EpubHtml(uid=f"doc-{chapter.key}", title=chapter.full_title, file_name=chapter_file(chapter),
                                 lang=meta.language)
        document.content = (f'<section class="chapter chapter-{chapter.kind}" id="{chapter.key}">'
                            f"{rewrite_hrefs(book, chapter)}</section>").encode()
        document.add_item(stylesheet)
        publication.add_item(document)
        documents.append(document)
        sections = [epub.Link(f"{chapter_file(chapter)}#{h.id}", h.text, f"nav-{h.id}")
                    for h in chapter.toc if h.level == 2 and chapter.kind == "part"]
        link = epub.Link(chapter_file(chapter), chapter.full_title, f"nav-{chapter.key}")
        toc.append((epub.Section(chapter.full_title, href=chapter_file(chapter)), sections) if sections else link)
    publication.toc = toc
    publication.add_item(epub.EpubNcx())
    nav = epub.EpubNav()
    nav.add_item(stylesheet)
    publication.add_item(nav)
    publication.spine = ["nav", *documents]

    raw = io.BytesIO()
    modified = dt.datetime.strptime(book.build_date, "%Y-%m-%d")
    epub.write_epub(raw, publication, {"mtime": modified, "epub3_pages": False})
    return normalize_zip(raw.getvalue(), modified)


def normalize_zip(data: bytes, when: dt.datetime) -> bytes:
    """mimetype first and stored, every entry dated `when`, fixed permissions."""
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
            target.writestr(info, source.read(name))
    return out.getvalue()


def render(book: Book, options: RenderOptions) -> Path:
    target = options.out_dir / epub_name(book)
    write_bytes_atomic(target, build_epub_bytes(book))
    return target
