"""What a chapter may publish, decided on what pandoc actually produced.

A line scanner and pandoc read Markdown differently (inline raw HTML, escaped
backticks, attribute blocks, autolinks, nested brackets, link definitions in
block quotes...), so the decision is never made on a second reading of the
Markdown. Pandoc's HTML for each chapter is audited element by element against
one allow-list: elements, attributes per element, and URL schemes. Anything
outside it is a problem for the author, located in the source where possible.
The same allow-list then drives nh3 (ammonia), a maintained sanitiser, over
every chapter's HTML: if the audit ever missed a spelling, the sanitiser still
removes what is not allowed before anything is written.
"""

from __future__ import annotations

import difflib

import html.parser
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

import nh3
from book.figures import IMAGE_TYPES

GLOBAL_ATTRIBUTES = frozenset({"id", "class", "title", "lang", "role", "aria-label", "aria-hidden", "aria-describedby",
                               "aria-labelledby", "tabindex"})
# Element -> attributes allowed beside the global ones. Pandoc's output for our Markdown, the
# pipeline's own listing and construct markup, and the few raw tags authors may write.
ELEMENTS: dict[str, frozenset[str]] = {name: frozenset(attrs.split()) for name, attrs in {
    "a": "href", "abbr": "", "b": "", "blockquote": "", "br": "", "caption": "", "cite": "", "code": "",
    "col": "style span", "colgroup": "span", "dd": "", "del": "", "details": "open", "dfn": "", "div": "",
    "dl": "", "dt": "", "em": "", "figcaption": "", "figure": "", "h1": "", "h2": "", "h3": "", "h4": "", "h5": "",
    "h6": "", "hr": "", "i": "", "img": "src alt width height", "input": "type checked disabled", "ins": "",
    "kbd": "", "label": "", "li": "value", "mark": "", "ol": "start type reversed", "p": "", "pre": "", "q": "",
    "s": "", "samp": "", "section": "", "small": "", "strong": "", "sub": "", "summary": "", "sup": "",
    "table": "", "tbody": "", "td": "style colspan rowspan", "tfoot": "", "th": "style colspan rowspan scope",
    "thead": "", "tr": "", "u": "", "ul": "", "var": "", "wbr": "",
    "span": "data-term data-sub data-see data-see-also",  # index marks: [words]{.index term="..."} (book.indexmarks)
}.items()}
DATA_ATTRIBUTES = frozenset({"data-lang", "data-xref", "data-listing", "data-answer", "data-construct"})
URL_ATTRIBUTES = {"href", "src"}
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
# pandoc writes column widths and alignments as style attributes; nothing else may carry style
STYLE_VALUE = re.compile(r"^\s*(width:\s*\d+(\.\d+)?%|text-align:\s*(left|right|center));?\s*$")
INPUT_TYPES = frozenset({"checkbox"})
FOOTNOTE_LINK = re.compile(r"\bfootnote-(ref|back)\b")  # pandoc's own note links, not the author's


@dataclass(frozen=True)
class Finding:
    """Something pandoc produced that a chapter may not publish; `needles` help locate it in the source."""

    message: str
    needles: tuple[str, ...]


@dataclass
class Link:
    """A link or image pandoc produced (the author's, not pandoc's own footnote links)."""

    target: str
    text: str
    is_image: bool
    problem: str | None = None  # why it may not be published (a URL scheme, a remote image)


@dataclass
class Audit:
    items: list[Finding | Link] = field(default_factory=list)  # in document order, which is (nearly) source order

    @property
    def findings(self) -> list[Finding | Link]:
        """Everything refused: findings, and links whose URL may not be published."""
        return [item for item in self.items if isinstance(item, Finding) or item.problem]

    @property
    def links(self) -> list[Link]:
        return [item for item in self.items if isinstance(item, Link)]


def url_problem(url: str, is_image: bool) -> str | None:
    """Why a URL may not be published, or None. Relative URLs stay in the book; the link check resolves them."""
    stripped = url.strip()
    parts = urlsplit(stripped)
    scheme = parts.scheme.lower()
    if stripped.startswith("//") or (scheme and len(scheme) > 1):  # one letter would be a Windows drive
        if is_image:
            return (f"image '{url}' is remote; the build never fetches from the network: "
                    "put the file in chapters/figures/")
        if scheme not in LINK_SCHEMES:
            shown = f"the scheme '{scheme}:'" if scheme else "no scheme (a protocol-relative URL)"
            return f"link '{url}' uses {shown}; only http, https and mailto links may leave the book"
    if any(ord(c) < 0x20 for c in url):
        return f"link '{url!r}' contains control characters"
    return None


class _Auditor(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.audit = Audit()
        self._open_links: list[Link] = []  # <a> elements still open, to collect their text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        source = dict(attrs).get("src")
        if tag == "embed" and source:  # pandoc's rendering of an image whose name is not a picture's
            kinds = ", ".join(sorted(IMAGE_TYPES)[:-1]) + " or " + sorted(IMAGE_TYPES)[-1]
            self.audit.items.append(Link(source, "", True, f"image '{source}' is not a figure: a figure is a {kinds} "
                                                           "file in chapters/figures/"))
            return
        allowed = ELEMENTS.get(tag)
        if allowed is None:
            self._refuse_element(tag)
            return
        values = dict(attrs)
        url_problem_found: str | None = None
        for name, value in attrs:
            value = value or ""
            if name in GLOBAL_ATTRIBUTES or name in allowed or name in DATA_ATTRIBUTES:
                problem = self._value_problem(tag, name, value)
                if problem and name in URL_ATTRIBUTES:
                    url_problem_found = problem  # reported with the link itself, at its line
                elif problem:
                    needles = (f'{name}="{value}"', f"{name}='{value}'", f"{name}={value}", name)
                    self.audit.items.append(Finding(problem, needles))
                continue
            if name.startswith("on"):
                message = f"the event handler '{name}' is not allowed in a chapter (no scripts)"
            elif name == "style":
                message = "a 'style' attribute is not allowed in a chapter; styles live in styles/"
            elif tag == "span" and "index" in (values.get("class") or "").split():
                message = index_attribute_problem(name)
            else:
                message = f"the attribute '{name}' is not allowed on <{tag}> in a chapter"
            self.audit.items.append(Finding(message, (f"{name}=", f"{name.removeprefix('data-')}=", name)))
        if tag == "a" and "href" in values and not FOOTNOTE_LINK.search(values.get("class") or ""):
            link = Link(values["href"] or "", "", False, url_problem_found)
            self.audit.items.append(link)
            self._open_links.append(link)
        elif tag == "img":
            self.audit.items.append(Link(values.get("src") or "", values.get("alt") or "", True, url_problem_found))
        elif url_problem_found:
            self.audit.items.append(Finding(url_problem_found, tuple(v or "" for k, v in attrs if k in URL_ATTRIBUTES)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a" and self._open_links:
            self._open_links.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open_links:
            self._open_links.pop()

    def handle_data(self, data: str) -> None:
        for link in self._open_links[-1:]:
            link.text += data

    def handle_comment(self, data: str) -> None:
        pass  # comments are dropped by the sanitiser

    def handle_decl(self, decl: str) -> None:
        self.audit.items.append(Finding("a <!DOCTYPE> or other declaration is not allowed in a chapter", ("<!",)))

    def unknown_decl(self, data: str) -> None:
        self.audit.items.append(Finding("a CDATA section or declaration is not allowed in a chapter", ("<![",)))

    def handle_pi(self, data: str) -> None:
        self.audit.items.append(Finding("a processing instruction is not allowed in a chapter", ("<?",)))

    def _refuse_element(self, tag: str) -> None:
        written = re.match(r"<\s*([^\s/>]+)", self.get_starttag_text() or "")
        spelled = written.group(1) if written else tag
        active = {"script", "iframe", "object", "embed", "link", "style", "meta", "base", "form", "frame", "frameset",
                  "applet", "svg", "math", "template", "button", "textarea", "select", "video", "audio", "source"}
        if tag in active:
            message = (f"raw <{tag}> is not allowed in a chapter (no scripts, frames, forms, embedded objects "
                       "or external styles); use Markdown, a figure in chapters/figures/, or a callout")
        else:
            message = (f"'<{spelled}>' reads as an HTML tag and would vanish or break the EPUB; "
                       "put code in backticks (`Vec<String>`)")
        self.audit.items.append(Finding(message, (f"<{tag}",)))

    @staticmethod
    def _value_problem(tag: str, name: str, value: str) -> str | None:
        if name in URL_ATTRIBUTES:
            return url_problem(value, is_image=tag == "img")
        if name == "style" and not STYLE_VALUE.match(value):
            return f"a 'style' attribute is not allowed in a chapter ('{value}'); styles live in styles/"
        if tag == "input" and name == "type" and value not in INPUT_TYPES:
            return f"<input type='{value}'> is not allowed in a chapter"
        if name == "tabindex" and value not in ("0", "-1"):
            return "tabindex may only be 0 or -1"
        return None


def audit_html(fragment: str) -> Audit:
    """Every element, attribute and URL in pandoc's HTML for one chapter, checked against the allow-list."""
    auditor = _Auditor()
    auditor.feed(fragment)
    auditor.close()
    return auditor.audit


def index_attribute_problem(name: str) -> str:
    """An index mark (`[words]{.index ...}`) with an attribute it does not take, with the closest it does."""
    given = name.removeprefix("data-")
    known = [a.removeprefix("data-") for a in sorted(ELEMENTS["span"])]
    close = difflib.get_close_matches(given, known, n=1)
    return (f"an index mark takes the attributes {', '.join(known)}, not '{given}'"
            + (f"; did you mean '{close[0]}'?" if close else ""))


def _attribute_filter(tag: str, name: str, value: str) -> str | None:
    if name in URL_ATTRIBUTES and url_problem(value, is_image=tag == "img"):
        return None
    if name == "style" and not STYLE_VALUE.match(value):
        return None
    if tag == "input" and name == "type" and value not in INPUT_TYPES:
        return None
    return value


@lru_cache(maxsize=1)
def _cleaner_options() -> dict:
    attributes = {tag: set(allowed) | set(DATA_ATTRIBUTES) for tag, allowed in ELEMENTS.items()}
    attributes["*"] = set(GLOBAL_ATTRIBUTES)
    return dict(tags=set(ELEMENTS), attributes=attributes, attribute_filter=_attribute_filter, link_rel=None,
                url_schemes=set(LINK_SCHEMES), strip_comments=True,
                clean_content_tags={"script", "style", "iframe", "object", "embed", "template"})


def sanitize(fragment: str) -> str:
    """The fragment with everything outside the allow-list removed (nh3 re-serialises the HTML).

    html5ever writes U+00A0 as `&nbsp;`, an entity XML does not know; it goes
    back to the character so the same fragment serves HTML and XHTML.
    """
    return nh3.clean(fragment, **_cleaner_options()).replace("&nbsp;", "\u00a0")
