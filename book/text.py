"""Source text as editors save it, made into one canonical form before anything reads it.

Authors write on Windows, macOS and Linux: UTF-8 with or without a byte-order
mark, UTF-16 from Notepad, CRLF, CR or LF line ends. All of them must build
the same book, so every source is decoded here once, to `\\n`-separated text.
Lines are counted on `\\n` only (never `str.splitlines`, which also breaks at
U+2028, NEL and form feed), so a reported line is the line an editor shows.

Characters that have no business in prose are refused with their line: NUL
and other control characters (they break the EPUB's XML and show as garbage
in HTML), and the bidirectional overrides that can make text read differently
from how it is stored ("Trojan source").
"""

from __future__ import annotations

import codecs
import re

from book.errors import Problem

BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# C0 controls except TAB and LF, DEL, C1 controls (NEL included), bidi embeddings, overrides and isolates.
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NAMES = {"\x00": "a NUL byte", "\x0c": "a form feed", "\x1b": "an escape character (ESC)", "\x85": "a NEL line break",
         "\x7f": "a DEL character"}


class SourceError(ValueError):
    """The bytes cannot be read as a text source; `problem` says where and why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.format())
        self.problem = problem


def decode_source(raw: bytes, rel: str) -> str:
    """Bytes as saved by any common editor -> text with `\\n` line ends, no BOM.

    Raises SourceError for bytes that are not UTF-8 (or UTF-16 with a BOM).
    """
    encoding = "utf-8"
    for bom, name in BOMS:
        if raw.startswith(bom):
            raw, encoding = raw[len(bom):], name
            break
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1 if encoding == "utf-8" else None
        raise SourceError(Problem(rel, line, f"is not valid {encoding.upper()} (byte 0x{raw[exc.start]:02x}); "
                                             "save the file as UTF-8")) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def control_character_problems(text: str, rel: str) -> list[Problem]:
    """One problem per line that holds a control or bidi-override character."""
    problems = []
    for number, line in enumerate(text.split("\n"), 1):
        match = FORBIDDEN.search(line)
        if match:
            char = match.group(0)
            name = NAMES.get(char, f"the control character U+{ord(char):04X}")
            if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
                name = f"the bidirectional control U+{ord(char):04X}, which can make text read differently from how it is stored"
            problems.append(Problem(rel, number, f"contains {name}; remove it (column {match.start() + 1})"))
    return problems


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (see the module docstring)."""
    return text.split("\n")
