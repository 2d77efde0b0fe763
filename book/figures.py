"""Figures: every image reference resolved once, to a checked file inside chapters/figures/.

An image target is parsed here and nowhere else. The result, a `Figure`,
carries the real file (symlinks resolved, inside the figures folder, a regular
file whose content matches its suffix) and the one name every output uses for
it. Renderers copy `Figure.path` to `Figure.name`; they never look at what the
author wrote, so a `#fragment`, `%2e%2e` or `../` cannot mean one thing to the
check and another to the copier.
"""

from __future__ import annotations

import difflib
import re
import struct
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp"}
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # WeasyPrint silently drops larger rasters; a page never needs more


@dataclass(frozen=True)
class Figure:
    """An image file of the book: where it is, and the name it has in every output."""

    path: Path  # resolved, inside chapters/figures/
    name: str  # "figures/01-move.svg": relative to chapters/, to the web pages and to the EPUB's content folder

    @property
    def media_type(self) -> str:
        return IMAGE_TYPES[self.path.suffix.lower()]


class FigureError(ValueError):
    """Why an image reference cannot be published (the message names the reference as written)."""


def resolve_figure(chapters_dir: Path, target: str) -> Figure:
    """The figure an image reference names; raises FigureError with a message for the author."""
    parts = urlsplit(target.strip())
    if parts.scheme or parts.netloc:
        raise FigureError(f"image '{target}' is remote; the build never fetches from the network: "
                          "put the file in chapters/figures/")
    if parts.query or parts.fragment or "#" in target:
        raise FigureError(f"image '{target}' has a '?' or '#' part; name the file alone, e.g. 'figures/01-move.svg'")
    written = unquote(parts.path)
    figures = (chapters_dir / "figures").resolve()
    path = (chapters_dir / written).resolve()
    if not path.is_relative_to(figures):
        raise FigureError(f"image '{target}' is outside chapters/figures/; figures must live there "
                          "(paths may not leave the project)")
    relative = PurePosixPath(path.relative_to(figures).as_posix())
    if not all(SAFE_NAME.match(part) for part in relative.parts):
        raise FigureError(f"image '{target}': figure file names may use only letters, digits, '.', '-' and '_'; "
                          "rename the file")
    if path.suffix.lower() not in IMAGE_TYPES:
        raise FigureError(f"image '{target}' is not an SVG, PNG, JPEG, GIF or WebP file")
    if not path.is_file():
        present = [f"figures/{p.relative_to(figures).as_posix()}" for p in figures.rglob("*") if p.is_file()]
        close = difflib.get_close_matches(written.removeprefix("./"), present, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise FigureError(f"image '{target}' does not exist{hint}")
    figure = Figure(path=path, name=f"figures/{relative}")
    problem = content_problem(figure, target)
    if problem:
        raise FigureError(problem)
    return figure


def content_problem(figure: Figure, shown: str) -> str | None:
    """The file's bytes must be what its suffix says, within sane limits."""
    size = figure.path.stat().st_size
    if size > MAX_BYTES:
        return f"figure '{shown}' is {size / 1e6:.0f} MB; keep figures under {MAX_BYTES // 2**20} MiB"
    data = figure.path.read_bytes()
    suffix = figure.path.suffix.lower()
    if suffix == ".svg":
        return svg_problem(data, shown)
    dimensions = raster_dimensions(data, suffix)
    if dimensions is None:
        return f"figure '{shown}' is not a valid {suffix[1:].upper()} file (its content does not match its name)"
    width, height = dimensions
    if width * height > MAX_PIXELS:
        return (f"figure '{shown}' is {width} x {height} pixels; keep raster figures under "
                f"{MAX_PIXELS // 1_000_000} million pixels")
    return None


def raster_dimensions(data: bytes, suffix: str) -> tuple[int, int] | None:
    """(width, height) read from the file header, or None if the header is not that format."""
    if suffix == ".png" and data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if suffix == ".gif" and data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if suffix == ".webp" and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if suffix in (".jpg", ".jpeg") and data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                return None
            marker = data[index + 1]
            length = struct.unpack(">H", data[index + 2:index + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", data[index + 5:index + 9])
                return width, height
            index += 2 + length
        return None
    return None


SVG_NS = "{http://www.w3.org/2000/svg}"
FORBIDDEN_SVG = {"script", "foreignObject", "iframe", "object", "embed", "image", "feImage", "a", "animate", "set",
                 "animateTransform", "animateMotion", "handler", "listener"}


def svg_problem(data: bytes, shown: str) -> str | None:
    """An SVG figure must be well-formed SVG that reaches nothing outside itself.

    Parsed with lxml, which detects the encoding (UTF-16 included), never
    loads a DTD and never resolves entities; a DOCTYPE is refused outright.
    Styles are checked after CSS parsing (tinycss2), so escapes such as
    `@\\69mport` cannot hide an import.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False,
                             huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"figure '{shown}' is not valid XML ({exc}); fix the SVG file"
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return f"figure '{shown}' declares a DOCTYPE or entities; remove them (figures must be plain SVG)"
    if root.tag != f"{SVG_NS}svg":
        return f"figure '{shown}' is not an SVG document (its root element is <{etree.QName(root).localname}>)"
    for element in root.iter():
        if not isinstance(element.tag, str):
            if isinstance(element, etree._Entity):  # noqa: SLF001
                return f"figure '{shown}' uses an entity; remove it"
            continue
        name = etree.QName(element).localname
        for attribute, value in element.attrib.items():
            local = etree.QName(attribute).localname
            if local == "href" and not value.startswith("#"):
                return f"figure '{shown}' refers to '{value}'; figures must be self-contained (only #id references)"
            if local.lower().startswith("on"):
                return f"figure '{shown}' has an event handler ({local}); figures may not carry scripts"
            if local == "style" and css_problem(value, inline=True):
                return f"figure '{shown}' loads something from a style attribute; figures must be self-contained"
            if "url(" in value.replace(" ", "").lower() and not re.fullmatch(r"\s*url\(\s*#[^)]*\)\s*", value):
                return f"figure '{shown}' refers to '{value}'; figures must be self-contained (only url(#id))"
        if name in FORBIDDEN_SVG:
            return f"figure '{shown}' contains <{name}>; figures may not carry scripts, links or embedded documents"
        if name == "style" and css_problem(element.text or "", inline=False):
            return f"figure '{shown}' loads something from its <style>; figures must be self-contained"
    return None


def css_problem(css: str, inline: bool) -> bool:
    """True if the CSS imports anything or names a URL other than `#id` (after unescaping)."""
    import tinycss2

    nodes = (tinycss2.parse_declaration_list(css) if inline else tinycss2.parse_stylesheet(css))

    def walk(tokens) -> bool:  # type: ignore[no-untyped-def]
        for token in tokens or []:
            kind = getattr(token, "type", "")
            if kind == "at-rule" and token.lower_at_keyword == "import":
                return True
            if kind == "url" and not token.value.startswith("#"):
                return True
            if kind == "function" and token.lower_name in ("url", "image", "image-set", "src", "element"):
                inner = "".join(getattr(t, "value", "") or "" for t in token.arguments if getattr(t, "type", "") == "string")
                if not inner.startswith("#"):
                    return True
            for child in ("prelude", "content", "value", "arguments"):
                if isinstance(getattr(token, child, None), list) and walk(getattr(token, child)):
                    return True
        return False

    return walk(nodes)
