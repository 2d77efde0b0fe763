"""Small helpers for taking apart the HTML of one construct (a question, an aside) with lxml.

Only a construct's own fragment is parsed and re-serialised; the rest of the
chapter's HTML is never touched, so the book's output does not change with
the serialiser's habits.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lxml is imported only when a construct is actually taken apart (a warm check never does)
    from lxml.html import HtmlElement

DIV_TAG = re.compile(r"<(/?)div\b[^>]*>")


def element_span(fragment: str, marker: str) -> tuple[int, int] | None:
    """(start, end) of the <div> whose start tag contains `marker`, its matching </div> included."""
    start = fragment.find(marker)
    if start < 0:
        return None
    start = fragment.rfind("<div", 0, start)
    level = 0
    for match in DIV_TAG.finditer(fragment, start):
        level += -1 if match.group(1) else 1
        if level == 0:
            return start, match.end()
    return None


def parse(fragment: str) -> HtmlElement:
    import lxml.html

    return lxml.html.fragment_fromstring(fragment)


def outer_html(element: HtmlElement) -> str:
    import lxml.html

    return lxml.html.tostring(element, encoding="unicode", with_tail=False)


def inner_html(element: HtmlElement) -> str:
    """The element's content as HTML, without its own tags."""
    import lxml.html

    text = html_lib.escape(element.text or "", quote=False)
    return text + "".join(lxml.html.tostring(child, encoding="unicode", with_tail=True) for child in element)


def text_of(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())
