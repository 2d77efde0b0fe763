"""Going deeper asides: parsed once from pandoc's HTML of a `deeper` div into an `Aside`.

An aside holds what a first reading can skip: history, implementation
details, advanced cases. Its first paragraph, in bold alone, is its title;
it holds no headings (they would enter the contents and the outline).
"""

from __future__ import annotations

from book.errors import Problem
from book.htmlparts import inner_html, outer_html, parse, text_of
from book.model import Aside, Chapter, SourceDiv

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def parse_aside(chapter: Chapter, div: SourceDiv, fragment: str) -> tuple[Aside | None, list[Problem]]:
    root = parse(fragment)
    children = list(root)
    first = children[0] if children else None
    strong = first.find("strong") if first is not None and first.tag == "p" else None
    if strong is None or text_of(first) != text_of(strong):
        return None, [Problem(chapter.rel, div.line, "a Going deeper aside starts with its title in bold, alone in "
                                                     "its paragraph: **Title**")]
    headings = [h for h in root.iter(*HEADINGS)]
    if headings:
        return None, [Problem(chapter.rel, div.line, f"a Going deeper aside holds no headings (found "
                                                     f"'{text_of(headings[0])}'); use a bold paragraph instead")]
    body = "".join(outer_html(child) for child in children[1:])
    return Aside(key=f"deeper-{div.line}", line=div.line, title=inner_html(strong).strip(), html=body,
                 id=root.get("id") or "", words=len(text_of(root).split())), []
