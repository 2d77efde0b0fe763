"""The web edition's search: a lunr index of the book's sections, built here with lunr.py.

The page searches it with lunr.js (vendored in `book/assets/vendor/lunr/`), so
the index is built once, at build time, and loaded as a plain script file:
`assets/search-index.js` sets `window.BOOK_SEARCH` and works from `file://`,
where a page may not fetch files.

One document per section (the text before a part's first `##`, then each `##`
and `###` section), with two fields: its title (boosted, so a section titled
with the words ranks first) and its text. Words are lower-cased, accents
dropped and split on anything but ASCII letters, digits and `_` (so "Rust's"
is found by "rust" and `Rc::clone` by "clone"), then go through lunr's own
pipeline (trimmer, stop words, Porter stemmer) with one fix so that they stem
exactly as in lunr.js (see `LunrJsStemmer`). `search.js` splits and stems a
query the same way.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Callable

from lunr.idf import idf as Idf
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token
from lunr.trimmer import trimmer

from book.constructs import searchable
from book.model import Book, Chapter

PART_TITLE = re.compile(r"<h1[ >].*?</h1>", re.S)
SECTION_START = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")
# Tags that end a block of text: a space stands for them; inline tags (code, em, highlight spans) join their text.
BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|dl|dt|dd|h[1-6]|pre|br|hr|tr|td|th|table|caption|thead|tbody|blockquote|figure|figcaption|details|summary|section|aside|nav|header|footer|label|fieldset|legend|button)\b[^>]*>", re.I)
ACCENTS = re.compile("[\u0300-\u036f]")  # combining accents, once NFKD has split them off: "naïve" is "naive"
SEPARATOR = re.compile(r"[^a-z0-9_]+")
TITLE_BOOST = 10
OPENING_BOOST = 1.5  # a part's opening, so that "lifetimes" finds Part 3 before the glossary's "Lifetime"
JS_VERSION = "2.3.9"  # the lunr.js in book/assets/vendor/lunr/, and the index format lunr.py writes


def sections(book: Book, page_file: Callable[[Chapter], str]) -> list[dict[str, str]]:
    """One entry per section: part title `c`, section title `t`, `id`, page `p`, plain text `x`; `o` marks a part's opening."""
    entries = []
    for chapter in book.chapters:
        fragment = searchable(chapter)
        opening = PART_TITLE.search(fragment)
        bounds = [(opening.end() if opening else 0, chapter.key, chapter.full_title)]
        bounds += [(m.end(), m.group(2), TAG.sub("", m.group(3))) for m in SECTION_START.finditer(fragment)]
        for number, (start, element_id, title) in enumerate(bounds):
            end = SECTION_START.search(fragment, start)
            text = " ".join(html_lib.unescape(TAG.sub("", BLOCK_TAG.sub(" ", fragment[start:end.start() if end else len(fragment)]))).split())
            if text:  # a heading with nothing under it (a glossary letter) is no result
                entry = {"c": chapter.full_title, "t": " ".join(html_lib.unescape(title).split()),
                         "id": element_id, "p": page_file(chapter), "x": text}
                entries.append(entry | ({"o": 1} if number == 0 else {}))
    return entries


class LunrJsStemmer(PorterStemmer):
    """lunr.py's Porter stemmer, made to stem as lunr.js does.

    The two differ in one rule (step 1c): lunr.js turns a final `y` into `i`
    only after a consonant (`/^(.+?[^aeiou])y$/`), lunr.py after any vowel in
    the stem. Left alone, lunr.py indexes "array" as `arrai` and "key" as
    `kei` while lunr.js looks for `array` and `key`: 41 words of this book
    would never be found. tests/test_web.py checks that lunr.js, given the
    shipped sections, produces exactly the terms of this index.
    """

    def step1c(self) -> None:
        if self.ends("y") and self.k >= 2 and self.b[self.k - 1] not in "aeiou":
            self.b = self.b[: self.k] + "i" + self.b[self.k + 1:]


_stemmer = LunrJsStemmer()


def words(text: str) -> list[str]:
    """Lower-case, drop accents, split: the same steps as `words()` in search.js."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return [w for w in SEPARATOR.split(ACCENTS.sub("", decomposed)) if w]


@lru_cache(maxsize=None)
def term(word: str) -> str | None:
    """The index term for one word (lunr's trimmer, stop word filter and stemmer), or None."""
    token = stop_word_filter(trimmer(Token(word)))
    if token is None or not str(token):
        return None
    return _stemmer.stem(str(token))


def terms(text: str) -> list[str]:
    return [t for t in map(term, words(text)) if t]


def build_index(entries: list[dict[str, str]]) -> dict:
    """The serialised lunr index of `entries` (document refs are their positions), as lunr.py writes it.

    This is lunr.py's Builder (`add`, `build`, `Index.serialize`) with the same
    BM25 weights, rounding and order, in one pass over terms that went through
    the pipeline once per distinct word (lunr.py's own loop copies metadata for
    every token and inserts every weight into a sorted list, about five times
    slower on this book). tests/test_search_index.py checks the output is byte
    for byte what lunr.py's Builder writes.
    """
    fields = {"t": TITLE_BOOST, "x": 1}
    inverted: dict[str, dict] = {}
    counted = []
    for number, entry in enumerate(entries):
        ref = str(number)
        for field in fields:
            field_terms = terms(entry[field])
            counts = Counter(field_terms)
            counted.append((f"{field}/{ref}", field, counts, len(field_terms), OPENING_BOOST if entry.get("o") else 1))
            for field_term in counts:
                posting = inverted.get(field_term)
                if posting is None:
                    posting = inverted[field_term] = {name: {} for name in fields} | {"_index": len(inverted)}
                posting[field][ref] = {}
    average = {field: sum(c[3] for c in counted if c[1] == field) / len(entries) for field in fields}
    idfs = {t: Idf(posting, len(entries)) for t, posting in inverted.items()}
    k1, b = 1.2, 0.75  # lunr's defaults
    vectors = []
    for field_ref, field, counts, length, boost in counted:
        weights = []
        if counts:
            norm = k1 * (1 - b + b * (length / average[field]))
            for field_term, tf in counts.items():
                score = idfs[field_term] * ((k1 + 1) * tf) / (norm + tf)
                score *= fields[field]
                score *= boost
                weights.append((inverted[field_term]["_index"], round(score, 3)))
            weights.sort()
        vectors.append([field_ref, [x for pair in weights for x in pair]])
    return {"version": JS_VERSION, "fields": list(fields), "fieldVectors": vectors,
            "invertedIndex": [[t, inverted[t]] for t in sorted(inverted)], "pipeline": ["stemmer"]}


def search_script(book: Book, page_file: Callable[[Chapter], str]) -> str:
    """`assets/search-index.js`: the sections and their index, as one script (same input, same bytes)."""
    entries = sections(book, page_file)
    payload = {"docs": entries, "index": build_index(entries)}
    return "window.BOOK_SEARCH=" + json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + ";\n"
