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

from lunr.builder import Builder
from lunr.field_ref import FieldRef
from lunr.idf import idf as Idf
from lunr.stemmer import PorterStemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token
from lunr.trimmer import trimmer
from lunr.vector import Vector

from book.model import Book, Chapter

PART_TITLE = re.compile(r"<h1[ >].*?</h1>", re.S)
SECTION_START = re.compile(r'<h([23]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")
ACCENTS = re.compile("[\u0300-\u036f]")  # combining accents, once NFKD has split them off: "naïve" is "naive"
SEPARATOR = re.compile(r"[^a-z0-9_]+")
TITLE_BOOST = 10
OPENING_BOOST = 1.5  # a part's opening, so that "lifetimes" finds Part 3 before the glossary's "Lifetime"
JS_VERSION = "2.3.9"  # the lunr.js in book/assets/vendor/lunr/, and the index format lunr.py writes


def sections(book: Book, page_file: Callable[[Chapter], str]) -> list[dict[str, str]]:
    """One entry per section: part title `c`, section title `t`, `id`, page `p`, plain text `x`; `o` marks a part's opening."""
    entries = []
    for chapter in book.chapters:
        fragment = chapter.html
        opening = PART_TITLE.search(fragment)
        bounds = [(opening.end() if opening else 0, chapter.key, chapter.full_title)]
        bounds += [(m.end(), m.group(2), TAG.sub("", m.group(3))) for m in SECTION_START.finditer(fragment)]
        for number, (start, element_id, title) in enumerate(bounds):
            end = SECTION_START.search(fragment, start)
            text = " ".join(html_lib.unescape(TAG.sub(" ", fragment[start:end.start() if end else len(fragment)])).split())
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


class _Builder(Builder):
    """lunr.py's builder, given terms already through the pipeline (each distinct word is stemmed once)."""

    def add_terms(self, ref: str, fields: dict[str, list[str]], boost: float = 1) -> None:
        """What `Builder.add` does after tokenising and running the pipeline, without per-token copies."""
        self._documents[ref] = {"boost": boost}
        self.document_count += 1
        for field_name in self._fields:
            field_terms = fields[field_name]
            field_ref = str(FieldRef(ref, field_name))
            counts = Counter(field_terms)
            self.field_term_frequencies[field_ref] = counts
            self.field_lengths[field_ref] = len(field_terms)
            for field_term in counts:
                posting = self.inverted_index.get(field_term)
                if posting is None:
                    posting = {name: {} for name in self._fields}
                    posting["_index"] = self.term_index
                    self.term_index += 1
                    self.inverted_index[field_term] = posting
                posting[field_name][ref] = {}

    def _create_field_vectors(self) -> None:
        """lunr.py's BM25 weights, same formula and rounding, with each vector built in one sort.

        lunr.py inserts term by term into a sorted list, which was two thirds
        of the index's build time. tests/test_search_index.py checks the result is
        byte for byte what lunr.py's own Builder writes.
        """
        idfs: dict[str, float] = {}
        k1, b = self._k1, self._b
        self.field_vectors = {}
        for field_ref, frequencies in self.field_term_frequencies.items():
            if not frequencies:  # no terms: nothing to weigh (and an average length that may be 0)
                self.field_vectors[field_ref] = Vector()
                continue
            ref = FieldRef.from_string(field_ref)
            field_name = ref.field_name
            norm = k1 * (1 - b + b * (self.field_lengths[field_ref] / self.average_field_length[field_name]))
            boost = self._fields[field_name].boost
            doc_boost = self._documents[ref.doc_ref].get("boost", 1)
            weights = []
            for field_term, tf in frequencies.items():
                posting = self.inverted_index[field_term]
                if field_term not in idfs:
                    idfs[field_term] = Idf(posting, self.document_count)
                score = idfs[field_term] * ((k1 + 1) * tf) / (norm + tf)
                score *= boost
                score *= doc_boost
                weights.append((posting["_index"], round(score, 3)))
            weights.sort()
            self.field_vectors[field_ref] = Vector([x for pair in weights for x in pair])

    def _create_token_set(self) -> None:
        self.token_set = None  # lunr.js rebuilds it from the inverted index when it loads


def build_index(entries: list[dict[str, str]]) -> dict:
    """The serialised lunr index of `entries`; document refs are their positions."""
    builder = _Builder()
    builder.ref("ref")
    builder.field("t", boost=TITLE_BOOST)
    builder.field("x")
    builder.search_pipeline.add(_search_stemmer)
    for number, entry in enumerate(entries):
        boost = OPENING_BOOST if entry.get("o") else 1
        builder.add_terms(str(number), {"t": terms(entry["t"]), "x": terms(entry["x"])}, boost)
    return builder.build().serialize()


def _search_stemmer(token: Token, i: int | None = None, tokens: list | None = None) -> Token:
    return token.update(lambda s, metadata=None: _stemmer.stem(s))


_search_stemmer.label = "stemmer"  # lunr.js runs its own stemmer at query time


def search_script(book: Book, page_file: Callable[[Chapter], str]) -> str:
    """`assets/search-index.js`: the sections and their index, as one script (same input, same bytes)."""
    entries = sections(book, page_file)
    payload = {"docs": entries, "index": build_index(entries)}
    return "window.BOOK_SEARCH=" + json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + ";\n"
