"""Links in outputs that split the book into one file per chapter (EPUB, multi-page HTML).

Converted chapters link with in-book anchors (`#part3-the-static-lifetime`);
where each chapter is its own file, an anchor in another chapter becomes
`03_lifetimes.xhtml#part3-the-static-lifetime`.
"""

from __future__ import annotations

import re
from typing import Callable

from book.model import Book, Chapter

HREF_FRAGMENT = re.compile(r'href="#([^"]+)"')


def rewrite_hrefs(book: Book, chapter: Chapter, file_of: Callable[[Chapter], str]) -> str:
    """`chapter.html` with anchors into other chapters pointing at their files."""
    def rewrite(match: re.Match[str]) -> str:
        element_id = match.group(1)
        owner = book.chapter_for_id(element_id)
        if owner is None or owner.key == chapter.key:
            return match.group(0)
        if element_id == owner.key:
            return f'href="{file_of(owner)}"'
        return f'href="{file_of(owner)}#{element_id}"'
    return HREF_FRAGMENT.sub(rewrite, chapter.html)
