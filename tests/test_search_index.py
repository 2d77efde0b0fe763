"""The web edition's search index (book/targets/search.py): lunr.py's index, searchable by lunr.js."""

from __future__ import annotations

import hashlib
import json
import re

import lunr
from lunr import get_default_builder
from lunr.stemmer import stemmer as lunr_py_stemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token
from lunr.trimmer import trimmer

from book.targets import search
from conftest import PROJECT

VENDORED = PROJECT / "book" / "assets" / "vendor" / "lunr"


def sample_entries() -> list[dict[str, str]]:
    """Sections of three real chapters, as the index sees them (titles and text)."""
    entries = []
    for name in ("01_introduction_to_ownership.md", "06_interior_mutability.md", "appendix_b_glossary.md"):
        text = (PROJECT / "chapters" / name).read_text(encoding="utf-8")
        for number, part in enumerate(re.split(r"\n#{1,3} ", text)):
            title, _, body = part.partition("\n")
            entries.append({"t": title, "x": body} | ({"o": 1} if number == 0 else {}))
    return entries


def test_the_fast_builder_writes_exactly_what_lunr_py_writes() -> None:
    entries = sample_entries()

    def js_stemmer(token: Token, i: int | None = None, tokens: list | None = None) -> Token:
        return token.update(lambda s, metadata=None: search.LunrJsStemmer().stem(s))

    js_stemmer.label = "stemmer"
    builder = get_default_builder()  # lunr.py's own tokeniser, pipeline and BM25 weights
    builder.pipeline.reset()
    builder.pipeline.add(trimmer, stop_word_filter, js_stemmer)
    builder.search_pipeline.reset()
    builder.search_pipeline.add(js_stemmer)
    builder.ref("ref")
    builder.field("t", boost=search.TITLE_BOOST)
    builder.field("x")
    for number, entry in enumerate(entries):
        builder.add({"ref": str(number), "t": " ".join(search.words(entry["t"])), "x": " ".join(search.words(entry["x"]))},
                    {"boost": search.OPENING_BOOST if entry.get("o") else 1})
    expected = builder.build().serialize()
    assert len(expected["invertedIndex"]) > 1000
    assert json.dumps(search.build_index(entries)) == json.dumps(expected)


def test_words_are_split_and_stemmed_as_lunr_js_does() -> None:
    assert search.words("Rust's `Rc::clone` is naïve—not_free(x)") == ["rust", "s", "rc", "clone", "is", "naive", "not_free", "x"]
    js = {"lifetimes": "lifetim", "borrowing": "borrow", "array": "array", "keys": "key", "destroyed": "destroy",
          "try": "tri", "dry": "dri", "memory": "memori", "the": None}  # what lunr.stemmer gives in lunr.js 2.3.9
    assert {word: search.term(word) for word in js} == js
    assert str(lunr_py_stemmer(Token("array"))) == "arrai"  # lunr.py's own stemmer: "array" would never be found


def test_the_vendored_lunr_js_is_the_one_lunr_py_writes_for() -> None:
    script = (VENDORED / "lunr.min.js").read_bytes()
    assert re.search(rb"^/\*\*\n \* lunr - http://lunrjs.com - .* - (\S+)\n", script).group(1).decode() == search.JS_VERSION
    assert lunr.__TARGET_JS_VERSION__ == search.JS_VERSION
    assert search.build_index([{"t": "a", "x": "ownership"}])["version"] == search.JS_VERSION
    readme = (VENDORED / "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(script).hexdigest() in readme  # unchanged from the npm package
    assert "Permission is hereby granted" in (VENDORED / "LICENSE").read_text(encoding="utf-8")
