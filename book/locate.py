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
from collections import Counter
from urllib.parse import unquote

from book.text import split_lines


class Locator:
    """Line lookups in one chapter's source."""

    def __init__(self, source: str):
        self.lines = [(line.lower(), html.unescape(line).lower()) for line in split_lines(source)]
        self.used: Counter[tuple[int, str]] = Counter()

    def line_of(self, *needles: str, after: int = 1) -> int | None:
        """1-based line holding a needle (or a decoded spelling of one), searching from line `after` on.

        Needles are tried in order, the most specific first; each is looked
        for from `after` on before any is looked for from the start.
        """
        spellings = [[s.lower() for s in dict.fromkeys((n, unquote(n), html.unescape(n))) if s] for n in needles if n]
        for start in (max(after, 1) - 1, 0):
            for forms in spellings:
                for index in range(start, len(self.lines)):
                    for form in forms:
                        occurrences = max(text.count(form) for text in self.lines[index])
                        if occurrences > self.used[index, form]:
                            self.used[index, form] += 1
                            return index + 1
        return None
