"""The back-of-book index as each target shows it: letter groups, and places as page numbers or as links.

`book.bookindex` gathers the entries once (`BookIndex`); this module turns
them into what the templates print. In the PDF a place is a page number,
read from the single layout's page map (`pagerefs.PageMap`): places on the
same page print once, consecutive pages merge into a range ("47–49"), and a
range the book marked runs from its first page to its last. On screen (the
web edition, the EPUB) there are no pages, so a place is a link that names
the section it leads to, grouped under its part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup

from book.model import BookIndex, IndexEntry, IndexLocator
from book.templating import render_template

INDEX_ID = "index"  # the index's own anchor: the contents and the nav lead here
ERRORS_ID = "index-errors"  # the index of compiler errors
ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


@dataclass(frozen=True)
class Group:
    """The entries under one letter."""

    letter: str
    id: str
    entries: tuple[IndexEntry, ...]


def letter_groups(entries: tuple[IndexEntry, ...]) -> list[Group]:
    """Entries grouped by the first letter of their sort key (`'static` under S, `&str` under S)."""
    groups: dict[str, list[IndexEntry]] = {}
    for entry in entries:
        first = entry.sort[:1].upper()
        groups.setdefault(first if first.isalpha() else "Symbols", []).append(entry)
    return [Group(letter, f"{INDEX_ID}-{letter.lower()}", tuple(items)) for letter, items in groups.items()]


def _has_definitions(index: BookIndex) -> bool:
    return any(locator.definition for entry in index.entries for locator in entry.locators)


# ---- print: page numbers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PageRun:
    """A page or a range of pages as the index prints it, linked to the first place on it."""

    first: str  # page label
    last: str  # page label (== first for a single page)
    href: str
    definition: bool = False  # the glossary's definition: printed in italics

    @property
    def text(self) -> str:
        return self.first if self.first == self.last else f"{self.first}\u2013{self.last}"


def ordinal(label: str) -> int:
    """A page label's place in the book: roman front matter before arabic pages."""
    if label.isdigit():
        return int(label)
    total = 0
    values = [ROMAN_VALUES.get(c, 0) for c in label.lower()]
    for value, following in zip(values, values[1:] + [0]):
        total += -value if value < following else value
    return total - 100_000


def page_runs(locators: tuple[IndexLocator, ...], pages: dict[str, str],
              missing: list[str] | None = None) -> list[PageRun]:
    """The pages an entry's places are on: each page once, consecutive pages merged, in page order.

    `pages` maps anchors to page labels (`PageMap.anchors`); an anchor that is
    not there is appended to `missing` and left out.
    """
    spans: list[tuple[int, int, str, str, str]] = []  # (first, last, first label, last label, href)
    definitions: list[tuple[int, str, str]] = []
    for locator in locators:
        first = pages.get(locator.start)
        if first is None:
            if missing is not None:
                missing.append(locator.start)
            continue
        last = pages.get(locator.end, first) if locator.end else first
        last = last if ordinal(last) >= ordinal(first) else first
        if locator.definition:
            definitions.append((ordinal(first), first, locator.start))
        else:
            spans.append((ordinal(first), ordinal(last), first, last, locator.start))
    merged: list[list] = []
    for first, last, first_label, last_label, href in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            if last > merged[-1][1]:
                merged[-1][1], merged[-1][3] = last, last_label
            continue
        merged.append([first, last, first_label, last_label, href])
    runs = [(m[0], PageRun(m[2], m[3], f"#{m[4]}")) for m in merged]
    for number, label, href in definitions:
        if not any(m[0] <= number <= m[1] for m in merged):
            runs.append((number, PageRun(label, label, f"#{href}", definition=True)))
    return [run for _, run in sorted(runs, key=lambda r: r[0])]


def print_index(index: BookIndex, pages: dict[str, str], missing: list[str] | None = None) -> Markup:
    """The index for the back of the PDF, with page numbers from the book's one layout."""
    def runs(entry: IndexEntry) -> list[PageRun]:
        return page_runs(entry.locators, pages, missing)

    return Markup(render_template("bookindex.print.html.j2", groups=letter_groups(index.terms), codes=index.codes,
                                  glossary=_has_definitions(index), runs=runs, index_id=INDEX_ID, errors_id=ERRORS_ID))


# ---- on screen: links --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    href: str
    text: str
    definition: bool = False


@dataclass(frozen=True)
class PlaceGroup:
    """The places of an entry in one chapter: "Part 2: Aliasing surprises, Mutable references"."""

    label: str
    places: tuple[Place, ...]


def place_groups(locators: tuple[IndexLocator, ...], href: Callable[[str], str]) -> list[PlaceGroup]:
    """An entry's places as links, grouped by chapter in reading order; a section linked once."""
    groups: dict[str, list[Place]] = {}
    seen: set[tuple[str, str, bool]] = set()
    for locator in locators:
        text = "definition" if locator.definition else locator.section
        if (locator.chapter, text, locator.definition) in seen:
            continue
        seen.add((locator.chapter, text, locator.definition))
        groups.setdefault(locator.label, []).append(Place(href(locator.start), text, locator.definition))
    return [PlaceGroup(label, tuple(places)) for label, places in groups.items()]


def screen_index(index: BookIndex, href: Callable[[str], str], epub: bool = False) -> Markup:
    """The index for the web edition and the EPUB: every place a link (`href(anchor)`); "see" and "see also"
    lead to entries of the index itself, which is one document."""
    def places(entry: IndexEntry) -> list[PlaceGroup]:
        return place_groups(entry.locators, href)

    return Markup(render_template("bookindex.html.j2", groups=letter_groups(index.terms), codes=index.codes,
                                  glossary=_has_definitions(index), places=places, index_id=INDEX_ID, errors_id=ERRORS_ID, epub=epub))


def entry_ids(index: BookIndex) -> set[str]:
    """Every id the index documents define (entries, letter groups, the two indexes), for link checks."""
    ids = {INDEX_ID, ERRORS_ID, *(entry.id for entry in index.entries)}
    ids.update(group.id for group in letter_groups(index.terms))
    return ids

