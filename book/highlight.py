"""Lean syntax highlighting for code listings.

Pygments tokenises; we keep only a handful of classes, merge adjacent tokens
of the same class and leave plain text, punctuation and whitespace unwrapped.
Lean markup matters: WeasyPrint's render time grows with the number of inline
boxes, and pandoc's own highlighter adds an empty link on every line.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Keyword, Literal, Name, String, Token
from pygments.util import ClassNotFound

# (token type, class) in priority order: the first ancestor that matches wins.
CLASSES: tuple[tuple[object, str], ...] = (
    (Comment.Preproc, "at"),  # Rust attributes #[...]
    (Comment, "co"),
    (Keyword.Type, "ty"),
    (Keyword.Pseudo, None),  # Pygments calls `&` and `mut` in `&mut` pseudo-keywords: leave plain
    (Keyword, "kw"),
    (String.Char, "st"),
    (String, "st"),
    (Literal.Number, "nu"),
    (Name.Function.Magic, "ma"),  # macros: println!, vec!
    (Name.Attribute, "lt"),  # lifetimes 'a
    (Name.Builtin, "ty"),
    (Name.Class, "ty"),
    (Name.Function, "fn"),
)
PLAIN_LANGS = {"", "text", "output", "console", "sh", "shell", "plain"}


@lru_cache(maxsize=None)
def _lexer(lang: str) -> Lexer | None:
    if lang in PLAIN_LANGS:
        return None
    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _class_of(token_type: object) -> str | None:
    for ancestor, css_class in CLASSES:
        if token_type in ancestor:  # type: ignore[operator]
            return css_class
    return None


def highlight(code: str, lang: str) -> str:
    """Escaped HTML for `code`, with <span class=".."> around the tokens that matter."""
    lexer = _lexer(lang)
    if lexer is None:
        return escape(code, quote=False)
    pieces: list[str] = []
    current_class: str | None = None
    current_text: list[str] = []
    pending_space = ""  # whitespace after a styled token: joins it only if the next token has the same class

    def flush() -> None:
        if not current_text:
            return
        text = escape("".join(current_text), quote=False)
        if current_class:  # one span per line, so every line of the result is balanced HTML
            text = "\n".join(f'<span class="{current_class}">{seg}</span>' if seg else "" for seg in text.split("\n"))
        pieces.append(text)
        current_text.clear()

    for token_type, value in lexer.get_tokens(code):
        if value.isspace() and current_class is not None and "\n" not in value:
            pending_space += value
            continue
        if value == "'" and token_type not in String:
            css_class: str | None = "lt"  # the quote of a lifetime: keep 'a in one span
        else:
            css_class = None if token_type in Token.Text.Whitespace else _class_of(token_type)
        if css_class != current_class:
            flush()
            if pending_space:
                pieces.append(pending_space)
            current_class = css_class
        elif pending_space:
            current_text.append(pending_space)
        pending_space = ""
        current_text.append(value)
    flush()
    pieces.append(pending_space)
    return "".join(pieces)


def mark_long_lines(html_lines: str, plain: str, limit: int) -> str:
    """Wrap lines longer than `limit` characters in <span class="ll">.

    Print styles give such lines a hanging indent and a wrap marker; every
    line of `html_lines` must be balanced HTML (see `highlight`).
    """
    out = []
    for html_line, text_line in zip(html_lines.split("\n"), plain.split("\n")):
        out.append(f'<span class="ll">{html_line}</span>' if len(text_line) > limit else html_line)
    return "\n".join(out)
