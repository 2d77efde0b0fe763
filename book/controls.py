"""Make invisible and terminal-control characters visible.

A program's output and rustc's messages go into the book and the terminal.
Raw ESC, NUL or BEL bytes are invalid in XHTML, render as nothing (or as
garbage) in HTML and PDF, and can rewrite a terminal line or a CI log;
bidirectional controls can make text read differently from what it is.
Shown instead: C0 controls and DEL as their Unicode control pictures (␛ ␀ ␇,
one column each, in the code font), the rest as Rust's `\\u{202e}` escapes.
Tab and newline stay as they are.
"""

from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
CONTROL_PICTURES = 0x2400  # U+2400 SYMBOL FOR NULL ... U+241F, then U+2421 SYMBOL FOR DELETE


def show_controls(text: str) -> str:
    """`text` with every control or invisible formatting character replaced by a visible stand-in."""
    return CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(CONTROL_PICTURES + code)
    if code == 0x7F:
        return "\u2421"
    return f"\\u{{{code:x}}}"
