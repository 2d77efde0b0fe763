"""Link integrity: in the sources (with file and line) and in every output.

Source links are checked against the ids pandoc really produced, so an anchor
that works here works in every output. Output checks take any set of
documents (HTML pages, EPUB files) and prove each internal href lands on an
existing id and that no id is used twice.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from book.convert import ID_ATTR
from book.errors import Problem
from book.model import Book, Chapter, LinkRef



def check_source_links(book: Book) -> list[Problem]:
    """Every link and image in every chapter points at something that exists."""
    by_name = {c.name: c for c in book.chapters}
    problems = []
    for chapter in book.chapters:
        for link in chapter.links:
            message = _check_one(book, chapter, link, by_name)
            if message:
                problems.append(Problem(chapter.rel, link.line or None, message))
    return problems


def _check_one(book: Book, chapter: Chapter, link: LinkRef, by_name: dict[str, Chapter]) -> str | None:
    """Links inside the book must land. Images and URLs that leave the book were judged in `publish`."""
    target = link.target.strip()
    if link.is_image:
        return None
    if not target:
        return "link has an empty target"
    parts = urlsplit(target)
    if parts.scheme or target.startswith("//"):
        return None
    path, anchor = unquote(parts.path), unquote(parts.fragment)
    if not path:
        return _check_anchor(chapter, anchor, f"'#{anchor}'")
    name = PurePosixPath(path).name
    normalized = str(PurePosixPath(path)).removeprefix("./")
    if normalized != name or not name.endswith(".md"):
        return f"link '{target}' does not point at a chapter; link to chapters as './NN_name.md' or './NN_name.md#section'"
    other = by_name.get(name)
    if other is None:
        close = difflib.get_close_matches(name, list(by_name), n=1)
        hint = f"; did you mean './{close[0]}'?" if close else ""
        return f"link '{target}' has no target: '{name}' is not a chapter of the book{hint}"
    if anchor and other.html:  # a chapter pandoc could not convert has no anchors to check against
        return _check_anchor(other, anchor, f"'{target}'")
    return None


def _check_anchor(chapter: Chapter, anchor: str, shown: str) -> str | None:
    if not anchor:
        return None
    if f"{chapter.key}-{anchor}" in chapter.ids:
        return None
    plain = sorted(i.removeprefix(chapter.key + "-") for i in chapter.ids if i.startswith(chapter.key + "-"))
    close = difflib.get_close_matches(anchor, plain, n=1, cutoff=0.5)
    hint = f"; did you mean '#{close[0]}'?" if close else ""
    return f"link {shown} has no target: {chapter.rel} has no heading or anchor '#{anchor}'{hint}"


# ---- outputs -------------------------------------------------------------------

HREF_ATTR = re.compile(r'\shref="([^"]*)"')


def check_output_documents(documents: dict[str, str]) -> list[str]:
    """`documents` maps a file name to its (X)HTML. Returns problems as text.

    Checks: no id used twice in one document; every href without a scheme
    points at an existing document and, with a fragment, at an id in it.
    """
    ids = {name: ID_ATTR.findall(text) for name, text in documents.items()}
    problems = []
    for name, found in ids.items():
        seen = set()
        for element_id in found:
            if element_id in seen:
                problems.append(f"{name}: id '{element_id}' is used more than once")
            seen.add(element_id)
    for name, text in documents.items():
        for href in HREF_ATTR.findall(text):
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue
            target = (PurePosixPath(name).parent / unquote(parts.path)).as_posix() if parts.path else name
            target = str(PurePosixPath(target)).removeprefix("./")
            if target not in documents:
                if not Path(parts.path).suffix or Path(parts.path).suffix in (".html", ".xhtml"):
                    problems.append(f"{name}: link '{href}' points at a missing document")
                continue
            if parts.fragment and unquote(parts.fragment) not in ids[target]:
                problems.append(f"{name}: link '{href}' points at a missing id")
    return problems
