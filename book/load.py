"""Find the chapters, read them, and check the book's order from every angle.

book.toml's [chapters] order is the one source of order. File number
prefixes, `# Part N:` headings, the series introduction's list of parts and the
files present on disk are all checked against it, and every disagreement is
reported with the file and line to fix.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import time
from functools import lru_cache
from pathlib import Path

from book.config import CONFIG_NAME, key_line, load_config
from book.errors import Problem, Problems
from book.model import Book, Chapter
from book.permissions import parse_tables
from book.scan import scan_markdown
from book.text import SourceError, control_character_problems, decode_source

PART_FILE = re.compile(r"^(\d{2})_([a-z0-9]+(?:_[a-z0-9]+)*)\.md$")
APPENDIX_FILE = re.compile(r"^appendix_([a-z])_([a-z0-9]+(?:_[a-z0-9]+)*)\.md$")
INTRO_FILE = "README.md"
PART_HEADING = re.compile(r"^Part (\d+):\s+(.+)$")
APPENDIX_HEADING = re.compile(r"^Appendix ([A-Z]):\s+(.+)$")


def load_book(root: Path) -> Book:
    """Load book.toml and every chapter; raise BookError listing all problems."""
    root = root.resolve()
    meta = load_config(root)
    problems = Problems()
    chapters: list[Chapter] = []
    toml_text = decode_source((root / CONFIG_NAME).read_bytes(), CONFIG_NAME)
    seen: set[str] = set()
    for name in meta.chapters:
        if name in seen:
            problems.add(CONFIG_NAME, _toml_line(toml_text, name), f"'{name}' is listed twice in [chapters] order; "
                                                                   "list each chapter once")
            continue
        seen.add(name)
        chapter = _load_chapter(root, name, toml_text, problems)
        if chapter is not None:
            chapters.append(chapter)
    for name in meta.handout_extras:
        if name not in meta.chapters:
            problems.add(CONFIG_NAME, key_line(toml_text, "handouts", "extra"),
                         f"[handouts] extra names '{name}', which is not in [chapters] order")
    if meta.glossary and meta.glossary not in meta.chapters:
        problems.add(CONFIG_NAME, key_line(toml_text, "index", "glossary"),
                     f"[index] glossary names '{meta.glossary}', which is not in [chapters] order")
    _check_part_numbers(meta.chapters, toml_text, problems)
    _check_unlisted_files(root, meta.chapters, problems)
    problems.raise_if_any()
    return Book(root=root, meta=meta, chapters=tuple(chapters),
                build_date=build_date(root), rustc_version=rustc_version())


def _toml_line(toml_text: str, name: str) -> int | None:
    for number, line in enumerate(toml_text.split("\n"), 1):
        if f'"{name}"' in line:
            return number
    return None


def _load_chapter(root: Path, name: str, toml_text: str, problems: Problems) -> Chapter | None:
    """Read one listed chapter, refusing names and files that could reach outside chapters/ before opening them."""
    rel = f"chapters/{name}"
    kind, number, label_hint = _classify(name)
    if kind is None:
        problems.add(CONFIG_NAME, _toml_line(toml_text, name),
                     f"'{name}' is not a chapter name the book knows: use NN_slug.md for parts, appendix_x_slug.md "
                     "for back matter, README.md for the introduction (a plain file name inside chapters/)")
        return None
    chapters_dir = (root / "chapters").resolve()
    path = root / "chapters" / name
    if path.is_symlink() and not path.resolve().is_relative_to(chapters_dir):
        problems.add(rel, None, "is a symbolic link to a file outside chapters/; chapters must be files inside it")
        return None
    if not path.is_file():
        present = sorted(p.name for p in (root / "chapters").glob("*.md"))
        close = difflib.get_close_matches(name, present, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else "; create it or remove it from the order"
        problems.add(CONFIG_NAME, _toml_line(toml_text, name), f"chapter '{rel}' is listed in [chapters] order but does not exist{hint}")
        return None
    try:
        source = decode_source(path.read_bytes(), rel)
    except SourceError as error:
        problems.extend([error.problem])
        return None
    if not source.strip():
        problems.add(rel, None, "is empty; a chapter needs at least its level-1 heading and an opening section")
        return None
    control = control_character_problems(source, rel)
    if control:
        problems.extend(control)
        return None
    scanned = scan_markdown(rel, source)
    problems.extend(scanned.problems)
    tables, table_problems = parse_tables(rel, source, tuple(scanned.code_blocks), tuple(scanned.divs))
    problems.extend(table_problems)
    label, title = _check_title(rel, kind, number, label_hint, scanned.headings, problems)
    return Chapter(path=path.resolve(), rel=rel, name=name, stem=name[:-3], key=_key(kind, number, label_hint),
                   kind=kind, number=number, label=label, title=title, source=source,
                   headings=tuple(scanned.headings), code_blocks=tuple(scanned.code_blocks),
                   divs=tuple(scanned.divs), tables=tuple(tables))


def _classify(name: str) -> tuple[str | None, int | None, str]:
    if name == INTRO_FILE:
        return "intro", None, ""
    part = PART_FILE.match(name)
    if part:
        return "part", int(part.group(1)), ""
    appendix = APPENDIX_FILE.match(name)
    if appendix:
        return "appendix", None, appendix.group(1).upper()
    return None, None, ""


def _key(kind: str, number: int | None, letter: str) -> str:
    if kind == "part":
        return f"part{number}"
    if kind == "appendix":
        return f"appendix-{letter.lower()}"
    return "intro"


def _check_title(rel: str, kind: str, number: int | None, letter: str, headings, problems: Problems) -> tuple[str, str]:
    """Exactly one level-1 heading, agreeing with the file name."""
    h1s = [h for h in headings if h.level == 1]
    if not h1s:
        expected = {"part": f"# Part {number}: Title", "appendix": f"# Appendix {letter}: Title"}.get(kind, "# Title")
        problems.add(rel, 1, f"has no level-1 heading; start the file with '{expected}'")
        return "", rel
    for extra in h1s[1:]:
        problems.add(rel, extra.line, f"has a second level-1 heading '# {extra.text}'; a chapter has exactly one (use ## for sections)")
    h1 = h1s[0]
    if kind == "part":
        match = PART_HEADING.match(h1.text)
        if not match:
            problems.add(rel, h1.line, f"heading '# {h1.text}' should read '# Part {number}: Title'")
            return f"Part {number}", h1.text
        if int(match.group(1)) != number:
            problems.add(rel, h1.line, f"heading says Part {match.group(1)} but the file is numbered {number:02d}; "
                                       f"make them agree ('# Part {number}: ...' or rename the file)")
        return f"Part {number}", match.group(2).strip()
    if kind == "appendix":
        match = APPENDIX_HEADING.match(h1.text)
        if not match or match.group(1) != letter:
            problems.add(rel, h1.line, f"heading '# {h1.text}' should read '# Appendix {letter}: Title'")
            return f"Appendix {letter}", h1.text
        return f"Appendix {letter}", match.group(2).strip()
    return "", h1.text


def _check_part_numbers(order: tuple[str, ...], toml_text: str, problems: Problems) -> None:
    """Parts are numbered 01, 02, ... in the order listed: no duplicates, no gaps."""
    seen: dict[int, str] = {}
    expected = 1
    for name in order:
        match = PART_FILE.match(name)
        if not match:
            continue
        number = int(match.group(1))
        line = _toml_line(toml_text, name)
        if number in seen:
            problems.add(CONFIG_NAME, line, f"part number {number:02d} is used twice: '{seen[number]}' and '{name}'; renumber one of them")
            continue
        seen[number] = name
        if number != expected:
            if number > expected:
                missing = ", ".join(f"{n:02d}" for n in range(expected, number))
                problems.add(CONFIG_NAME, line, f"parts jump from {expected - 1:02d} to {number:02d}: part {missing} is missing from the order")
            else:
                problems.add(CONFIG_NAME, line, f"'{name}' is listed after part {expected - 1:02d}; list parts in number order")
        expected = max(expected, number + 1)
    if order.count(INTRO_FILE) != 1 or (order and order[0] != INTRO_FILE):
        problems.add(CONFIG_NAME, _toml_line(toml_text, INTRO_FILE), "the order must start with README.md (the series introduction), listed once")


def _check_unlisted_files(root: Path, order: tuple[str, ...], problems: Problems) -> None:
    for path in sorted((root / "chapters").glob("*.md")):
        if path.name not in order:
            problems.add(f"chapters/{path.name}", None, "is not in book.toml's [chapters] order; add it there, or move it out of chapters/")


def check_introduction_list(book: Book) -> list[Problem]:
    """The series introduction lists every part, linked, in book order (read from pandoc's links, after convert)."""
    problems = Problems()
    _check_introduction_list(list(book.chapters), problems)
    return problems.items


def _check_introduction_list(chapters: list[Chapter], problems: Problems) -> None:
    intro = next((c for c in chapters if c.kind == "intro"), None)
    if intro is None:
        return
    parts = [c.name for c in chapters if c.kind == "part"]
    listed: list[tuple[str, int]] = []
    for link in intro.links:
        name = link.target.split("#")[0].removeprefix("./")
        if PART_FILE.match(name) and name not in (n for n, _ in listed):
            listed.append((name, link.line))
    listed_names = [n for n, _ in listed]
    for name in parts:
        if name not in listed_names:
            problems.add(intro.rel, None, f"the series introduction does not link to '{name}'; add it to the list of parts")
    in_book = [n for n in listed_names if n in parts]
    if in_book != [n for n in parts if n in in_book]:
        first_wrong = next(i for i, (a, b) in enumerate(zip(in_book, [n for n in parts if n in in_book])) if a != b)
        line = dict(listed)[in_book[first_wrong]]
        problems.add(intro.rel, line, f"the list of parts is out of order: '{in_book[first_wrong]}' comes here, but the book's order has "
                                      f"'{[n for n in parts if n in in_book][first_wrong]}'")


def build_date(root: Path) -> str:
    """SOURCE_DATE_EPOCH if set, else the last commit's date, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True,
                                   text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            epoch = ""
    seconds = int(epoch) if epoch.isdigit() else int(time.time())
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


@lru_cache(maxsize=None)
def rustc_version() -> str:
    """Asked once per process: the no-op check and the load both need it."""
    try:
        return subprocess.run(["rustc", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "rustc (not found)"
