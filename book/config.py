"""book.toml -> BookMeta: every key type-checked, every problem reported as `book.toml:LINE`.

A contributor's pull request can change book.toml as easily as a chapter, and
its values end up in file names, XML attributes and the EPUB's metadata. So
nothing is taken on trust: unknown keys are typos (with a suggestion), strings
must be strings, the slug becomes a file name and may only be a simple name,
the language must be a language tag.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from book.errors import BookError, Problem
from book.model import BookMeta
from book.text import SourceError, control_character_problems, decode_source

CONFIG_NAME = "book.toml"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # BCP 47, as far as EPUB and HTML need it
IDENTIFIER = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces: urn:uuid:..., urn:isbn:...
MAX_TEXT = 2000


@dataclass(frozen=True)
class Key:
    kind: str  # "text" | "list"
    required: bool = False
    check: Callable[[str], str | None] | None = None  # a problem message, or None


def _pattern(pattern: re.Pattern[str], what: str) -> Callable[[str], str | None]:
    return lambda value: None if pattern.match(value) else what


BOOK_KEYS: dict[str, Key] = {
    "title": Key("text", required=True),
    "subtitle": Key("text"),
    "authors": Key("list", required=True),
    "language": Key("text", required=True, check=_pattern(LANGUAGE, "must be a language tag such as \"en\" or \"en-GB\"")),
    "identifier": Key("text", required=True,
                      check=_pattern(IDENTIFIER, "must be a URN or URI without spaces, e.g. \"urn:uuid:...\"")),
    "publisher": Key("text"),
    "edition": Key("text"),
    "license": Key("text"),
    "subject": Key("text"),
    "keywords": Key("list"),
    "description": Key("text"),
    "slug": Key("text", check=_pattern(SLUG, "becomes the outputs' file name: use lowercase letters, digits and "
                                              "hyphens only, e.g. \"memory-management-in-rust\"")),
}
TABLES = {"book": BOOK_KEYS, "chapters": {"order": Key("list", required=True)}, "handouts": {"extra": Key("list")},
          "index": {"glossary": Key("text")}}


def key_line(text: str, table: str, key: str | None = None) -> int | None:
    """The line of `[table]` (or of `key = ...` inside it) in book.toml's text."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if re.match(rf"^\s*\[\s*{re.escape(table)}\s*\]", line)), None)
    if start is None:
        return None
    if key is None:
        return start + 1
    for i in range(start + 1, len(lines)):
        if re.match(r"^\s*\[", lines[i]):
            break
        if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", lines[i]):
            return i + 1
    return start + 1


def _text_problem(value: object, kind: str) -> str | None:
    if kind == "text":
        if not isinstance(value, str):
            return f"must be a string in quotes, not {type(value).__name__} {value!r}"
        if len(value) > MAX_TEXT:
            return f"is {len(value)} characters long; keep it under {MAX_TEXT}"
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"must be a list of strings, e.g. [\"a\", \"b\"], not {value!r}"
    return None


def _table_problems(data: dict, text: str) -> list[Problem]:
    problems: list[Problem] = []
    for name, value in data.items():
        if name not in TABLES:
            close = difflib.get_close_matches(name, list(TABLES), n=1)
            hint = f"; did you mean [{close[0]}]?" if close else f"; the tables are {', '.join(f'[{t}]' for t in TABLES)}"
            problems.append(Problem(CONFIG_NAME, key_line(text, name) or _top_line(text, name), f"has an unknown table or key '{name}'{hint}"))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(CONFIG_NAME, _top_line(text, name), f"'{name}' must be a table: [{name}]"))
            continue
        keys = TABLES[name]
        for key, item in value.items():
            line = key_line(text, name, key)
            if key not in keys:
                close = difflib.get_close_matches(key, list(keys), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f"; [{name}] takes {', '.join(keys)}"
                problems.append(Problem(CONFIG_NAME, line, f"[{name}] has an unknown key '{key}'{hint}"))
                continue
            message = _text_problem(item, keys[key].kind)
            if message is None and keys[key].check is not None:
                message = keys[key].check(item)
            if message is None:
                for entry in ([item] if isinstance(item, str) else item):
                    for problem in control_character_problems(entry, CONFIG_NAME):
                        message = problem.message
            if message:
                problems.append(Problem(CONFIG_NAME, line, f"[{name}] {key} {message}"))
        for key, spec in keys.items():
            if spec.required and not value.get(key):
                problems.append(Problem(CONFIG_NAME, key_line(text, name), f"[{name}] is missing '{key}'"))
    for name in ("book", "chapters"):
        if name not in data:
            problems.append(Problem(CONFIG_NAME, None, f"has no [{name}] table; see the README for what book.toml holds"))
    return problems


def _top_line(text: str, name: str) -> int | None:
    for number, line in enumerate(text.split("\n"), 1):
        if re.match(rf"^\s*{re.escape(name)}\s*=", line):
            return number
    return None


def load_config(root: Path) -> BookMeta:
    """Read and validate book.toml; raise BookError naming the line on failure."""
    path = root / CONFIG_NAME
    if not path.is_file():
        raise BookError([Problem(CONFIG_NAME, None, "not found; create it with a [book] table and a chapters list")])
    try:
        text = decode_source(path.read_bytes(), CONFIG_NAME)
    except SourceError as error:
        raise BookError([error.problem]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise BookError([Problem(CONFIG_NAME, line, f"is not valid TOML: {message}")]) from None
    problems = _table_problems(data, text)
    if problems:
        raise BookError(problems)
    book = data["book"]
    title = book["title"]
    slug = book.get("slug") or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "book"
    return BookMeta(
        title=title,
        subtitle=book.get("subtitle", ""),
        authors=tuple(book["authors"]),
        language=book["language"],
        identifier=book["identifier"],
        publisher=book.get("publisher", ""),
        description=book.get("description", ""),
        license=book.get("license", ""),
        edition=book.get("edition", ""),
        subject=book.get("subject", ""),
        keywords=tuple(book.get("keywords", [])),
        chapters=tuple(data["chapters"]["order"]),
        slug=slug,
        handout_extras=tuple(data.get("handouts", {}).get("extra", [])),
        glossary=data.get("index", {}).get("glossary", ""),
    )
