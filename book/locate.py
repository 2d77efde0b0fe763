"""Find where something pandoc produced came from, to name `file:line` in a message.

Decisions are made on pandoc's output (see `sanitize`); only the message needs
a line, so this is a search, not a second parser. Items are located in
document order, each search starting where the last one was found, and each
occurrence of a text in a line is used once: three identical links on lines
14, 16 and 20 are reported at 14, 16 and 20. Lines are compared as written and
with character references decoded, so `jav&#x61;script:` is found too.
"""

from __future__ import annotations

import html
from urllib.parse import unquote

from book.text import split_lines


class Locator:
    """Line lookups in one chapter's source."""

    def __init__(self, source: str):
        self.lines = [html.unescape(line).lower() for line in split_lines(source)]
        self.used: dict[int, list[tuple[int, int]]] = {}  # line index -> spans already reported

    def line_of(self, *needles: str, after: int = 1) -> int | None:
        """1-based line holding a needle (or a decoded spelling of one), searching from line `after` on.

        Needles are tried in order, the most specific first; each is looked
        for from `after` on before any is looked for from the start.
        """
        spellings = [[s.lower() for s in dict.fromkeys((html.unescape(n), unquote(html.unescape(n)))) if s]
                     for n in needles if n]
        for start in (max(after, 1) - 1, 0):
            for forms in spellings:
                for index in range(start, len(self.lines)):
                    for form in forms:
                        span = self._unused(index, form)
                        if span is not None:
                            self.used.setdefault(index, []).append(span)
                            return index + 1
        return None

    def _unused(self, index: int, form: str) -> tuple[int, int] | None:
        text, position = self.lines[index], 0
        while (found := text.find(form, position)) >= 0:
            span = (found, found + len(form))
            if not any(a < span[1] and span[0] < b for a, b in self.used.get(index, ())):
                return span
            position = found + 1
        return None
