"""book.toml -> BookMeta, with clear errors for a malformed or incomplete file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from book.errors import BookError, Problem
from book.model import BookMeta

CONFIG_NAME = "book.toml"
REQUIRED = ("title", "authors", "language", "identifier")


def load_config(root: Path) -> BookMeta:
    """Read and validate book.toml; raise BookError naming the line on failure."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise BookError([Problem(CONFIG_NAME, None, "not found; create it with a [book] table and a chapters list")])
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise BookError([Problem(CONFIG_NAME, None, f"is not valid UTF-8 ({exc.reason} at byte {exc.start})")])
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BookError([Problem(CONFIG_NAME, line, f"is not valid TOML: {message}")])

    book = data.get("book")
    problems: list[Problem] = []
    if not isinstance(book, dict):
        raise BookError([Problem(CONFIG_NAME, None, "has no [book] table; add one with title, authors, language, identifier")])
    for key in REQUIRED:
        if not book.get(key):
            problems.append(Problem(CONFIG_NAME, None, f"[book] is missing '{key}'"))
    chapters = data.get("chapters", {}).get("order") if isinstance(data.get("chapters"), dict) else None
    if not isinstance(chapters, list) or not chapters or not all(isinstance(c, str) for c in chapters):
        problems.append(Problem(CONFIG_NAME, None, "needs [chapters] order = [\"README.md\", \"01_....md\", ...]: the one source of chapter order"))
    authors = book.get("authors", [])
    if isinstance(authors, str):
        authors = [authors]
    if problems:
        raise BookError(problems)
    title = str(book["title"])
    return BookMeta(
        title=title,
        subtitle=str(book.get("subtitle", "")),
        authors=tuple(str(a) for a in authors),
        language=str(book["language"]),
        identifier=str(book["identifier"]),
        publisher=str(book.get("publisher", "")),
        description=str(book.get("description", "")),
        license=str(book.get("license", "")),
        edition=str(book.get("edition", "")),
        subject=str(book.get("subject", "")),
        keywords=tuple(str(k) for k in book.get("keywords", [])),
        chapters=tuple(chapters),
        slug=str(book.get("slug") or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")),
        handout_extras=tuple(str(c) for c in data.get("handouts", {}).get("extra", [])),
    )
