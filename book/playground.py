"""Run links: a listing's whole program (hidden lines included) as a Rust Playground URL.

Nothing is fetched: the program travels in the URL's `code` parameter, as
the Playground's own "share" links do, on the stable channel and edition 2024
so that it behaves there as it did when the book was built.
"""

from __future__ import annotations

from urllib.parse import quote

from book.model import CodeBlock
from book.rustcheck import EDITION, build_program

PLAYGROUND = "https://play.rust-lang.org/"


def playground_url(block: CodeBlock) -> str:
    program = build_program(block).source
    return f"{PLAYGROUND}?version=stable&mode=debug&edition={EDITION}&code={quote(program, safe='')}"
