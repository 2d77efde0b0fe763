"""The EPUB's page list: where each page of the A4 print edition begins, taken from its one layout.

A reader of the EPUB in a class that uses the printed book can go to "page 47"
and land where printed page 47 begins. Three steps:

1. While the book PDF is laid out (`book.targets.pdf`), `page_starts` walks each
   page's boxes once and records where the page begins: the element with an id
   that opens it (a heading, a question, a part's first page), else the first
   lines of text on it as printed (print-only text such as "(page 47)" and URL
   notes left out, a hyphenated word joined again). These go into the page map
   (`pagerefs.PageMap.starts`) with the key of the print HTML that was laid out.
2. `print_pages` gives the EPUB that map when it was laid out from the same
   print HTML, stylesheets, figures and layout code (`layout_key`); when it is
   missing, unreadable or from other sources, it lays the A4 book out again
   (no PDF is drawn) and keeps the result. So an EPUB-only build reuses the
   last PDF build's layout, and never carries page numbers from older sources.
3. `place` puts a page-break marker (`<span epub:type="pagebreak"
   role="doc-pagebreak" id="page-47" aria-label="47">`) where each page
   begins in the EPUB's documents: before the element that opens the page,
   or before the first word of the page's text (after the word when the page
   begins with the second half of a hyphenated one), lifted out of the start
   of a paragraph or heading where the content model allows. Pages the EPUB
   has no counterpart for lead to the nearest place: the title page and
   colophon to the end of the cover, the contents to the EPUB's contents, a
   blank page to the end of the part before it.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weasyprint import Document

    from book.model import Book
    from book.targets.pagerefs import PageMap

PAPER = "a4"  # the print edition whose page numbers the EPUB carries
# Text only print shows: a cross-reference's "(page 47)", URL notes and footnotes (set at the foot of
# the page), "Answer on page 47", choice letters (lettered differently in the EPUB).
PRINT_ONLY = frozenset({"xref-page", "url-note", "footnote", "pageref", "answer-page", "quiz-link", "quiz-letter"})
# Text only the EPUB shows: note numbers, the notes at the end of a part, "Answer and explanation".
EPUB_ONLY = frozenset({"footnote-ref", "footnotes", "quiz-link", "quiz-letter"})
FRONT_REGIONS = {"cover": "cover", "title-page": "front", "colophon": "front", "toc": "contents"}
OBJECT = "\ufffc"  # an image in the text streams, so a page that opens with a figure is found by it
WANTED_CHARS = 60  # text recorded per page: enough to find it once, without spaces
MAX_LINES = 12  # table rows give many short lines
MIN_NEEDLE = 6  # shorter text ("16") is found inside other words
# Files whose code shapes the layout beyond the HTML itself: slot widths, WeasyPrint patches, what loads.
LAYOUT_CODE = ("pagelist.py", "pagerefs.py", "upstream.py", "pdf.py", "../fetcher.py")


@dataclass(frozen=True)
class PageStart:
    """Where one printed page begins, as the layout saw it.

    `region` is the part of the print document the page is in: a chapter's key
    ("part3"), "cover", "front" (title page, colophon), "contents", or "" for a
    blank page. `anchor` is the id of an element that opens the page, `after`
    the id of the last element that began before it (where to look from),
    `lines` the page's first lines of text.
    """

    region: str
    anchor: str = ""
    after: str = ""
    lines: tuple[str, ...] = ()

    def to_json(self) -> list:
        return [self.region, self.anchor, self.after, list(self.lines)]

    @classmethod
    def from_json(cls, data: list) -> "PageStart":
        region, anchor, after, lines = data
        return cls(str(region), str(anchor), str(after), tuple(str(line) for line in lines))


# ---- 1. From the layout --------------------------------------------------------------------------

def page_starts(document: Document) -> tuple[PageStart, ...]:
    """Where each page of a laid-out print document begins (one walk over each page's boxes)."""
    walk = _Walk()
    starts = []
    for page in document.pages:
        walk.new_page()
        walk.visit(page._page_box.children[0], skipping=False)  # noqa: SLF001  (the root box; not margins, notes)
        starts.append(walk.start())
    return tuple(starts)


@dataclass
class _Walk:
    seen: set[int] = field(default_factory=set)  # elements already begun on an earlier page (or this one)
    last_id: str = ""  # the last id'd element begun so far
    region: str = ""
    # per page:
    after: str = ""
    anchor: str = ""
    page_region: str = ""
    content: bool = False  # text or an image seen on this page
    lines: list[list[str]] = field(default_factory=list)
    in_line: bool = False

    def new_page(self) -> None:
        self.after, self.anchor, self.page_region, self.content, self.lines = self.last_id, "", "", False, []

    def start(self) -> PageStart:
        if not self.content:
            return PageStart("")
        lines = tuple(" ".join("".join(parts).split()) for parts in self.lines)
        return PageStart(self.page_region, self.anchor, self.after, tuple(line for line in lines if line))

    def _collected(self) -> int:
        return sum(len("".join(parts).replace(" ", "")) for parts in self.lines)

    def visit(self, box, skipping: bool) -> None:  # type: ignore[no-untyped-def]
        from weasyprint.formatting_structure import boxes

        box = getattr(box, "_box", box)  # out-of-flow placeholders
        tag = box.element_tag or ""
        pseudo = "::" in tag
        element = box.element
        if element is not None and not pseudo and not isinstance(box, boxes.TextBox):
            classes = set((element.get("class") or "").split())
            element_id = element.get("id")
            repeated = id(element) in self.seen
            if not repeated:
                self.seen.add(id(element))
                if element_id:
                    if not self.content and not self.anchor:
                        self.anchor = element_id
                    self.last_id = element_id
            if tag == "section" and "chapter" in classes and element_id:
                self.region = element_id
            else:
                self.region = next((FRONT_REGIONS[c] for c in classes if c in FRONT_REGIONS), self.region)
            # A table's header row repeated at the top of a later page is not where that page's text begins.
            skipping = skipping or bool(classes & PRINT_ONLY) or (repeated and getattr(box, "is_header", False))
        if isinstance(box, boxes.LineBox):
            self.lines.append([])
        if isinstance(box, boxes.TextBox):
            if not skipping and not pseudo and box.text.strip():
                self._content()
                if len(self.lines) <= MAX_LINES and self._collected() < WANTED_CHARS:
                    text = box.text
                    hyphen = box.style["hyphenate_character"]
                    if hyphen and text.endswith(hyphen):  # a word hyphenated at the line's end
                        text = text[: -len(hyphen)]
                    (self.lines[-1] if self.lines else self.lines.append([]) or self.lines[-1]).append(text)
            return
        if isinstance(box, boxes.ReplacedBox) and not skipping and not pseudo:
            self._content()
            if self.lines and self._collected() < WANTED_CHARS:
                self.lines[-1].append(OBJECT)
            elif not self.lines:
                self.lines.append([OBJECT])
        for child in getattr(box, "children", ()):
            self.visit(child, skipping)

    def _content(self) -> None:
        if not self.content:
            self.content = True
            self.page_region = self.region


# ---- 2. The page map the EPUB may use ------------------------------------------------------------

def layout_key(book: Book, html: str) -> str:
    """What one layout of `html` depends on: the HTML, the stylesheets it links, the figures, the layout code.

    The fonts and WeasyPrint's own version count too; the project's folder
    does not (the stylesheets are linked by absolute path).
    """
    from importlib.metadata import version

    styles = book.styles_dir.as_uri()
    digest = hashlib.sha256(html.replace(styles, "styles:").encode())
    digest.update(f"\0weasyprint {version('weasyprint')}\0pydyf {version('pydyf')}\0".encode())
    for name in sorted(set(re.findall(rf'<link rel="stylesheet" href="{re.escape(styles)}/([^"/]+)"', html))):
        digest.update(name.encode() + b"\0" + (book.styles_dir / name).read_bytes())  # not epub.css, screen.css
    for figure in book.figures:
        digest.update(figure.name.encode() + b"\0" + figure.path.read_bytes())
    here = Path(__file__).resolve().parent
    for name in LAYOUT_CODE:
        digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    digest.update(_fonts_identity().encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _fonts_identity() -> str:
    """The font files print.css names, as fontconfig resolves them: another font file moves every line."""
    import subprocess

    identity = []
    for name in ("Charis SIL", "Inter", "JetBrains Mono"):
        try:
            file = subprocess.run(["fc-match", "--format=%{file}", name], capture_output=True, text=True,
                                  timeout=30).stdout
            stat = Path(file).stat()
            identity.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
        except (OSError, subprocess.SubprocessError):
            identity.append(f"{name}: not found")
    return "\n".join(identity)


def print_pages(book: Book, cache_dir: Path) -> tuple[PageMap, bool]:
    """The A4 book's page map with page starts: kept from the last layout of the same print HTML, or laid out now.

    Returns the map and whether it was laid out now. A map that is missing,
    unreadable, from other sources, or saved without page starts is never used.
    """
    from book.targets import pdf

    html = pdf.book_print_html(book, PAPER)
    key = layout_key(book, html)
    path = map_path(book, cache_dir)
    cached = _load(path)
    if cached is not None and cached.key == key and len(cached.starts) == len(cached.labels):
        return cached, False
    # The same layout as the A4 PDF's, index included; refusals are the PDF build's to report; nothing is drawn.
    rendered, _ = pdf.lay_out(html, book, pdf.book_index_writer(book, PAPER))
    pages = replace(rendered.pages, starts=page_starts(rendered.document), key=key)
    pages.save(path)
    return pages, True


def map_path(book: Book, cache_dir: Path) -> Path:
    from book.targets import pdf

    return pdf.page_map_path(cache_dir, Path(pdf.pdf_name(book)), PAPER)


def _load(path: Path) -> PageMap | None:
    from book.targets.pagerefs import PageMap

    try:
        return PageMap.load(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ---- 3. Markers in the EPUB ----------------------------------------------------------------------

@dataclass(frozen=True)
class Marker:
    label: str
    document: str  # a chapter's key, "cover" or "contents"
    position: int | str  # offset in that document's HTML; "start"/"end" ("toc"/"end" in the contents)
    how: str  # "opens" (the element that opens the page), "text", "start", "end", "blank", "lost"


def marker_html(label: str) -> str:
    label = html_lib.escape(label)
    return f'<span epub:type="pagebreak" role="doc-pagebreak" id="page-{label}" aria-label="{label}"></span>'


def marker_id(label: str) -> str:
    return f"page-{label}"


def place(pages: PageMap, documents: dict[str, str]) -> list[Marker]:
    """Where each page's marker goes in the EPUB's chapter documents (`documents`: key -> HTML), in page order."""
    streams: dict[str, _Stream] = {}
    cursor: dict[str, int] = {}
    markers: list[Marker] = []
    blanks: list[str] = []
    previous = "cover"
    for label, start in zip(pages.labels, pages.starts):
        if not start.region:
            blanks.append(label)
            continue
        if start.region == "cover":
            marker = Marker(label, "cover", "start", "start")
        elif start.region == "front":
            marker = Marker(label, "cover", "end", "end")
        elif start.region == "contents":
            first = not any(m.document == "contents" for m in markers)
            marker = Marker(label, "contents", "toc" if first else "end", "start" if first else "end")
        elif start.region in documents and start.anchor == start.region:  # the page a part opens on
            marker = Marker(label, start.region, "start", "opens")
        elif start.region in documents:
            if start.region not in streams:
                streams[start.region] = _Stream.of(documents[start.region])
            stream = streams[start.region]
            position, how = _locate(stream, start, cursor.get(start.region, 0))
            cursor[start.region] = position
            marker = Marker(label, start.region, position, how)
        else:
            marker = Marker(label, previous, "end", "lost")
        if blanks:  # blank pages: where the page after them begins if it is in the same document, else at the end
            same = marker.document == previous
            markers += [Marker(blank, previous, marker.position if same else "end", "blank") for blank in blanks]
            blanks = []
        markers.append(marker)
        previous = marker.document
    markers += [Marker(blank, previous, "end", "blank") for blank in blanks]
    return markers


def insert(html: str, markers: list[Marker]) -> str:
    """`html` with the markers at their offsets ("start" and "end" at its ends), in page order."""
    def offset(marker: Marker) -> int:
        return 0 if marker.position == "start" else len(html) if marker.position == "end" else int(marker.position)
    pieces, last = [], 0
    for marker in sorted(markers, key=offset):  # stable: pages at one offset keep their order
        at = offset(marker)
        pieces += [html[last:at], marker_html(marker.label)]
        last = at
    return "".join(pieces) + html[last:]


def _locate(stream: _Stream, start: PageStart, cursor: int) -> tuple[int, str]:
    """The offset in a document's HTML where a page begins, at or after `cursor`."""
    if start.anchor:
        opened = stream.element_start(start.anchor)
        if opened is not None and opened >= cursor:
            return stream.lift(opened), "opens"
    low = cursor
    after = stream.element_start(start.after) if start.after else None
    if after is not None and after > low:
        low = after
    lines = [_normal(line) for line in start.lines]
    for skip in range(len(lines)):
        needle = "".join(lines[skip:])[:WANTED_CHARS]
        if len(needle) < 12 and skip + 1 < len(lines):
            continue
        found = stream.find(needle, low) if len(needle) >= MIN_NEEDLE else -1
        if found >= 0:
            return stream.lift(stream.word_end(found)), "text"
    return max(cursor, low), "lost"


def _normal(text: str) -> str:
    return "".join(text.split()).casefold()


TOKEN = re.compile(r"<!--.*?-->|<(/?)([A-Za-z][\w:-]*)([^>]*?)(/?)>", re.S)
VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
# Elements whose parent accepts only certain children: a marker never goes just before them.
FIXED_PLACE = frozenset({"li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "caption", "colgroup",
                         "figcaption", "summary", "legend", "option"})
# Inside these, a marker in the middle would become part of a link's or heading's name: it goes after the end.
NAMED = frozenset({"a"})
CLASS_ATTR = re.compile(r'\sclass="([^"]*)"')
ID_ATTR = re.compile(r'\sid="([^"]*)"')


@dataclass
class _Stream:
    """A document's text as one string without spaces (lower case), with each character's offset in the HTML."""

    html: str
    text: str
    offsets: list[int]
    opening: dict[int, tuple[str, str | None]]  # end offset of an opening tag -> (its name, its parent's name)
    starts: dict[str, int]  # id -> offset of its element's opening tag
    links: list[tuple[int, int]]  # (start, end) of each <a> element's content

    @classmethod
    def of(cls, html: str) -> "_Stream":
        text: list[str] = []
        offsets: list[int] = []
        opening: dict[int, tuple[str, str | None]] = {}
        starts: dict[str, int] = {}
        links: list[tuple[int, int]] = []
        stack: list[tuple[str, bool, int]] = []  # (name, text hidden, content start)
        last = 0
        for match in TOKEN.finditer(html):
            hidden = bool(stack) and stack[-1][1]
            if not hidden:
                cls._text(html, last, match.start(), text, offsets)
            last = match.end()
            closing, name, attrs, self_closing = match.groups()
            if name is None:
                continue
            name = name.lower()
            if closing:
                while stack:
                    top = stack.pop()
                    if top[0] == name:
                        if name == "a":
                            links.append((top[2], match.start()))
                        break
                continue
            found = ID_ATTR.search(attrs)
            if found:
                starts.setdefault(html_lib.unescape(found.group(1)), match.start())
            if name == "img" and not hidden:
                text.append(OBJECT)
                offsets.append(match.start())
            if name in VOID or self_closing:
                continue
            opening[match.end()] = (name, stack[-1][0] if stack else None)
            classes = set((CLASS_ATTR.search(attrs) or [None, ""])[1].split())
            stack.append((name, hidden or bool(classes & EPUB_ONLY), match.end()))
        cls._text(html, last, len(html), text, offsets)
        return cls(html, "".join(text), offsets, opening, starts, links)

    @staticmethod
    def _text(html: str, start: int, end: int, text: list[str], offsets: list[int]) -> None:
        chunk = html[start:end]
        if not chunk.strip():
            return
        for match in re.finditer(r"&[#\w]+;|\S", chunk):
            char = html_lib.unescape(match.group(0)) if match.group(0).startswith("&") else match.group(0)
            for folded in char.casefold():
                if not folded.isspace():
                    text.append(folded)
                    offsets.append(start + match.start())

    def find(self, needle: str, low: int) -> int:
        """Index in `text` of `needle` at or after HTML offset `low`, or -1."""
        from bisect import bisect_left

        return self.text.find(needle, bisect_left(self.offsets, low))

    def element_start(self, element_id: str) -> int | None:
        """Where a marker goes to stand before the element with this id: before its tag, or just inside
        it if the element's place is fixed (a list item, a table row)."""
        start = self.starts.get(element_id)
        if start is None:
            return None
        end = self.html.index(">", start) + 1
        name = self.opening.get(end, ("", None))[0]
        return end if name in FIXED_PLACE else start

    def word_end(self, index: int) -> int:
        """The HTML offset of text index `index`; when it falls inside a word, the offset just after that word."""
        offset = self.offsets[index]
        if offset > 0 and (self.html[offset - 1].isalnum()) and self.html[offset].isalnum():
            while offset < len(self.html) and self.html[offset].isalnum():
                offset += 1
        return offset

    def lift(self, offset: int) -> int:
        """Move a marker out of the start of the elements it opens, as far as their parents allow;
        out of a link it would be read with."""
        for start, end in self.links:
            if start < offset <= end and self.html[start:offset].strip():
                return end + len("</a>")
        while True:
            before = offset
            while before > 0 and self.html[before - 1].isspace():
                before -= 1
            tag = self.opening.get(before)
            if tag is None:
                return offset
            name, parent = tag
            if name in FIXED_PLACE or parent in ("ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "colgroup"):
                return offset
            offset = self.html.rfind("<", 0, before)
