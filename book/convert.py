"""Markdown -> HTML fragment per chapter, with pandoc, cached by content hash.

Chapters are converted one by one (one pandoc call over the whole book wires
footnotes to the wrong chapter) with `--id-prefix` so ids are unique across
the book, then links between chapter files are rewritten to in-book anchors
(`./03_lifetimes.md#x` -> `#part3-x`). Renderers map those anchors to files
where an output has several (EPUB, multi-page HTML).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import pickle
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from book.errors import Problem
from book.constructs import extract, prepare_markdown
from book.indexmarks import extract as extract_index_marks
from book.listings import replace_code_blocks
from book.model import Book, Chapter, Heading, PermissionTable
from book.publish import publish
from book.rustcheck import Result

MARKDOWN_FORMAT = "markdown+gfm_auto_identifiers-tex_math_dollars-raw_tex-citations-yaml_metadata_block"
PANDOC_ARGS = ("--sandbox", "--wrap=none", "--to=html5", "--syntax-highlighting=none", "--eol=lf")
CACHE_VERSION = "6"
PANDOC_TIMEOUT = 300  # seconds per chapter; a 10 MB chapter takes about 20
WARNING_LINE = re.compile(r"\bline (\d+)\b")
CHAPTER_LINK = re.compile(r'href="(?:\./)?([A-Za-z0-9_]+\.md)(?:#([^"]*))?"')
ID_ATTR = re.compile(r'\sid="([^"]+)"')
HEADING_TAG = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=None)
def pandoc_path() -> str:
    import pypandoc  # imported late: it looks for pandoc on import
    return pypandoc.get_pandoc_path()


@lru_cache(maxsize=None)
def pandoc_version() -> str:
    out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0]


def convert_book(book: Book, results_by_chapter: dict[str, dict[int, Result]], cache_dir: Path,
                 jobs: int = 2, tables: dict[tuple[str, int], PermissionTable] | None = None) -> tuple[Book, list[Problem]]:
    """Every chapter with its HTML, headings, ids and constructs filled in.

    `tables` are the permission tables as checked by rustc (keyed by chapter and line).
    """
    keys = {c.name: c.key for c in book.chapters}

    def one(chapter: Chapter) -> tuple[Chapter, list[Problem]]:
        results = results_by_chapter.get(chapter.rel, {})
        try:
            fragment, warnings = _convert_cached(chapter, results, cache_dir)
        except subprocess.TimeoutExpired:
            return chapter, [Problem(chapter.rel, None, f"pandoc did not finish converting this chapter within "
                                                        f"{PANDOC_TIMEOUT} s; look for very long runs of brackets, "
                                                        "'<' or backticks, or split the chapter")]
        except (RuntimeError, subprocess.SubprocessError) as exc:
            return chapter, [Problem(chapter.rel, None, f"pandoc could not convert this chapter: {exc}")]
        problems = [_warning_problem(chapter, w) for w in warnings]
        checked = {line: table for (rel, line), table in (tables or {}).items() if rel == chapter.rel}
        key = _finished_key(chapter, fragment, checked)
        done = _load_finished(cache_dir, key)
        if done is None:
            done, found = _finish(chapter, fragment, results, checked, keys)
            problems.extend(found)
            if not found:
                _store_finished(cache_dir, key, done)
        return replace(chapter, **done), problems

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        converted = list(pool.map(one, book.chapters))
    problems = [p for _, ps in converted for p in ps]
    return replace(book, chapters=tuple(c for c, _ in converted)), problems


def _finish(chapter: Chapter, fragment: str, results: dict[int, Result], tables: dict[int, PermissionTable],
            keys: dict[str, str]) -> tuple[dict, list[Problem]]:
    """Pandoc's HTML -> what the chapter publishes: audited and sanitised, links rewritten, constructs taken out."""
    published = publish(chapter, fragment)
    problems = list(published.problems)
    linked = rewrite_chapter_links(published.html, keys)  # before extraction: constructs hold links too
    marked, marks, found = extract_index_marks(chapter, linked)  # before extraction too: asides hold marks
    problems.extend(found)
    fragment, constructs, found = extract(chapter, marked, results, tables)
    problems.extend(found)
    fragment = label_title(fragment, chapter)
    ids = set(ID_ATTR.findall(fragment))
    for construct in constructs:  # ids inside constructs, and the questions' own
        ids.update(ID_ATTR.findall(getattr(construct, "html", "") + getattr(construct, "explanation", "")
                                   + getattr(construct, "prompt", "")))
        ids.update(filter(None, (getattr(construct, "id", ""),)))
    return dict(html=fragment, links=published.links, figures=published.figures, constructs=constructs,
                index_marks=marks, toc=tuple(extract_headings(fragment)), ids=frozenset(ids)), problems


def _finished_key(chapter: Chapter, fragment: str, tables: dict[int, PermissionTable]) -> str:
    """Everything `_finish` reads: pandoc's HTML, the chapter, its checked tables, the figures, the pipeline's code."""
    figures = chapter.path.parent / "figures"
    stats = sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in figures.rglob("*") if p.is_file()) \
        if figures.is_dir() else []
    payload = [CACHE_VERSION, _pipeline_fingerprint(), str(chapter.path), chapter.key, chapter.source, fragment,
               repr(sorted(tables.items())), stats]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _load_finished(cache_dir: Path, key: str) -> dict | None:
    path = cache_dir / "finished" / f"{key}.pickle"
    try:
        return pickle.loads(path.read_bytes())  # the project's own cache: never shared, never downloaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        return None


def _store_finished(cache_dir: Path, key: str, done: dict) -> None:
    path = cache_dir / "finished" / f"{key}.pickle"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(pickle.dumps(done))
    os.replace(tmp, path)


@lru_cache(maxsize=None)
def _pipeline_fingerprint() -> str:
    """Changes when any of the pipeline's code or templates change."""
    here = Path(__file__).resolve().parent
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(here.rglob("*")) if p.suffix in (".py", ".j2"))).hexdigest()


@lru_cache(maxsize=None)
def _renderer_fingerprint() -> str:
    """Changes when the code that turns listings into HTML changes."""
    here = Path(__file__).resolve().parent
    return hashlib.sha256(b"".join((here / name).read_bytes()
                                   for name in ("listings.py", "highlight.py", "constructs.py"))).hexdigest()


def _warning_problem(chapter: Chapter, warning: str) -> Problem:
    """Pandoc counts lines of the text it was given, which keeps the source's line numbers (see listings)."""
    match = WARNING_LINE.search(warning)
    return Problem(chapter.rel, int(match.group(1)) if match else None, f"pandoc: {warning.removeprefix('[WARNING] ')}")


def _convert_cached(chapter: Chapter, results: dict[int, Result], cache_dir: Path) -> tuple[str, list[str]]:
    """Look up by the chapter's source and its examples' results; highlight and run pandoc only on a miss."""
    shown = json.dumps(sorted((line, r.errors, r.stdout, r.stderr) for line, r in results.items()))
    digest = hashlib.sha256("\0".join([CACHE_VERSION, pandoc_version(), _renderer_fingerprint(), MARKDOWN_FORMAT,
                                        *PANDOC_ARGS, chapter.key, chapter.source, shown]).encode()).hexdigest()
    cached = cache_dir / "pandoc" / f"{digest}.html"
    if cached.is_file():
        return cached.read_text(encoding="utf-8"), []
    markdown = prepare_markdown(chapter, replace_code_blocks(chapter, results))
    proc = subprocess.run([pandoc_path(), f"--from={MARKDOWN_FORMAT}", *PANDOC_ARGS, f"--id-prefix={chapter.key}-"],
                          input=markdown, capture_output=True, text=True, timeout=PANDOC_TIMEOUT)
    warnings = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    if proc.returncode != 0:
        raise RuntimeError(f"pandoc failed: {proc.stderr.strip()}")
    if not warnings:  # never cache a conversion that warned: the warning must show again
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(proc.stdout, encoding="utf-8")
        os.replace(tmp, cached)
    return proc.stdout, warnings


IN_PAGE_LINK = re.compile(r'<a href="#([^"]+)"(?![^>]*(?:data-xref|class="footnote))')


def rewrite_chapter_links(fragment: str, keys: dict[str, str]) -> str:
    """`href="./03_lifetimes.md#x"` -> `href="#part3-x"`; unknown files are left for the link check.

    Every in-book link gets `data-xref` (the chapter it points into), which
    print styles use to print the target's page.
    """
    def rewrite(match: re.Match[str]) -> str:
        key = keys.get(match.group(1))
        if key is None:
            return match.group(0)
        anchor = match.group(2)
        return f'href="#{key}-{anchor}" data-xref="{key}"' if anchor else f'href="#{key}" data-xref="{key}"'
    fragment = CHAPTER_LINK.sub(rewrite, fragment)
    owner_of = sorted(keys.values(), key=len, reverse=True)

    def mark(match: re.Match[str]) -> str:
        target = match.group(1)
        key = next((k for k in owner_of if target == k or target.startswith(k + "-")), None)
        return f'{match.group(0)} data-xref="{key}"' if key else match.group(0)
    return IN_PAGE_LINK.sub(mark, fragment)


def extract_headings(fragment: str) -> list[Heading]:
    return [Heading(level=int(level), id=hid, html=inner.strip(), text=html.unescape(TAG.sub("", inner)).strip())
            for level, hid, inner in HEADING_TAG.findall(fragment)]


H1 = re.compile(r'<h1 id="([^"]+)">(.*?)</h1>', re.S)


def label_title(fragment: str, chapter: Chapter) -> str:
    """Split "Part 3: Lifetimes" so each output can set the label and title apart."""
    def split(match: re.Match[str]) -> str:
        inner = match.group(2)
        prefix = f"{chapter.label}: "
        if not chapter.label or not inner.startswith(prefix):
            return f'<h1 id="{match.group(1)}" data-bookmark="{html.escape(chapter.full_title)}">{inner}</h1>'
        return (f'<h1 id="{match.group(1)}" data-bookmark="{html.escape(chapter.full_title)}">'
                f'<span class="chapter-label">{chapter.label}</span><span class="chapter-sep">: </span>'
                f'<span class="chapter-title">{inner[len(prefix):]}</span></h1>')
    return H1.sub(split, fragment, count=1)
