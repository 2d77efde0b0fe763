"""From pandoc's HTML for one chapter to what the book may publish.

One pass over what pandoc actually produced: the allow-list audit
(`book.sanitize`), the links and images it contains (located in the source for
messages), every image resolved once to a `Figure` (`book.figures`) with its
`src` rewritten to the figure's one name, every listing the scanner replaced
confirmed to have arrived as a listing, and finally the sanitiser over the
whole fragment.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field

from book.errors import Problem
from book.figures import Figure, FigureError, resolve_figure
from book.locate import Locator
from book.model import Chapter, LinkRef
from book.sanitize import Finding, audit_html, sanitize
from book.text import split_lines

IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")')
LISTING_MARK = re.compile(r'<div class="listing [^"]*" data-listing="(\d+)"')
# Tags that would run or load something, looked for in the Markdown too: pandoc drops some raw HTML without a
# word (a <script> inside a `---` block), and the author would lose text the audit never sees.
ACTIVE_TAG = re.compile(r"<\s*(script|iframe|object|embed|style|meta|base|link|form|frame|frameset|applet|template)\b",
                        re.IGNORECASE)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


@dataclass
class Published:
    html: str
    links: tuple[LinkRef, ...]
    figures: tuple[Figure, ...]
    problems: list[Problem] = field(default_factory=list)


def publish(chapter: Chapter, fragment: str) -> Published:
    """Audit, resolve and sanitise one chapter's HTML; problems name the chapter's lines where they can."""
    locator = Locator(chapter.source)
    audit = audit_html(fragment)
    problems: list[Problem] = []
    links: list[LinkRef] = []
    figures: dict[str, Figure] = {}
    own_prefix = f"#{chapter.key}-"  # pandoc's --id-prefix also rewrote the author's in-page links
    after = 1  # items come in document order: search on from the last one found
    for item in audit.items:
        if isinstance(item, Finding):
            line = locator.line_of(*item.needles, after=after)
            problems.append(Problem(chapter.rel, line, item.message))
            after = line or after
            continue
        target = "#" + item.target[len(own_prefix):] if item.target.startswith(own_prefix) else item.target
        line = locator.line_of(target, after=after)
        after = line or after
        links.append(LinkRef(target=target, line=line or 0, is_image=item.is_image, text=item.text))
        if item.problem:
            problems.append(Problem(chapter.rel, line, item.problem))
        elif item.is_image and target not in figures:
            try:
                figures[target] = resolve_figure(chapter.path.parent, html_lib.unescape(target))
            except FigureError as error:
                problems.append(Problem(chapter.rel, line, str(error)))

    problems += _dropped_active_tags(chapter, {problem.line for problem in problems})

    arrived = {int(n) for n in LISTING_MARK.findall(fragment)}
    for block in chapter.code_blocks:
        if block.line not in arrived:
            problems.append(Problem(chapter.rel, block.line, "this code block is not read as a fenced block (its fence "
                                    "is indented too far for where it stands); indent the fence like the text it "
                                    "belongs to"))

    def rename(match: re.Match[str]) -> str:
        figure = figures.get(html_lib.unescape(match.group(2)))
        return f"{match.group(1)}{figure.name if figure else ''}{match.group(3)}"

    cleaned = IMG_SRC.sub(rename, sanitize(fragment))
    return Published(cleaned, tuple(links), tuple(dict.fromkeys(figures.values())), problems)


def _dropped_active_tags(chapter: Chapter, reported: set[int | None]) -> list[Problem]:
    """Active tags written in the text (outside code) on lines the audit of pandoc's HTML did not report."""
    in_code = {n for block in chapter.code_blocks for n in range(block.line, block.end_line + 1)}
    problems = []
    for number, line in enumerate(split_lines(chapter.source), start=1):
        if "<" not in line or number in in_code or number in reported:
            continue
        match = ACTIVE_TAG.search(CODE_SPAN.sub("", line))
        if match:
            tag = match.group(1).lower()
            problems.append(Problem(chapter.rel, number, f"raw <{tag}> is not allowed in a chapter (no scripts, frames, "
                                                         "forms, embedded objects or external styles); to show it, "
                                                         f"put it in backticks (`<{tag}>`)"))
    return problems
