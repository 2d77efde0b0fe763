"""The one data model that flows through the pipeline.

`load` fills in what the Markdown says (headings and code blocks, with line
numbers); `convert` adds each chapter's HTML fragment, its anchors, and the
links and figures pandoc found in it. Renderers only read these objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from book.figures import Figure


@dataclass(frozen=True)
class BookMeta:
    """What book.toml says about the book as a whole."""

    title: str
    subtitle: str
    authors: tuple[str, ...]
    language: str
    identifier: str
    publisher: str
    description: str
    license: str
    edition: str
    subject: str
    keywords: tuple[str, ...]
    chapters: tuple[str, ...]  # file names in chapters/, in reading order
    slug: str  # base name of the outputs, e.g. "memory-management-in-rust"
    handout_extras: tuple[str, ...] = ()  # chapters printed as handouts besides the parts


@dataclass(frozen=True)
class SourceHeading:
    """An ATX heading as written in the Markdown."""

    level: int
    text: str
    line: int


@dataclass(frozen=True)
class LinkRef:
    """A link or image target as written, with the line it is on."""

    target: str
    line: int
    is_image: bool = False
    text: str = ""


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block. For Rust blocks, `flags` holds the annotations."""

    line: int  # line of the opening fence
    end_line: int  # line of the closing fence
    lang: str  # "rust", "c", "text", ... ("" when none)
    flags: tuple[str, ...]  # e.g. ("compile_fail", "E0382")
    code: str  # the block's text, hidden lines included, indentation removed
    indent: str  # indentation of the fence (blocks inside list items)
    expected_output: str | None = None  # a following ```output block, if any
    output_lines: tuple[int, int] | None = None  # its fence lines, to drop it

    @property
    def is_rust(self) -> bool:
        return self.lang == "rust"

    @property
    def error_codes(self) -> tuple[str, ...]:
        return tuple(f for f in self.flags if f.startswith("E") and f[1:].isdigit())

    @property
    def mode(self) -> str:
        """run | compile_fail | should_panic | no_run | ignore."""
        for mode in ("compile_fail", "should_panic", "no_run", "ignore"):
            if mode in self.flags:
                return mode
        return "run"

    @property
    def visible_code(self) -> str:
        """The code a reader sees: rustdoc's hidden `# ` lines removed."""
        if not self.is_rust:
            return self.code
        return "".join(line for line in re.split(r"(?<=\n)", self.code) if not is_hidden_line(line))


def is_hidden_line(line: str) -> bool:
    """rustdoc hides `# code` and a lone `#`; `#[attr]` and `#!` stay visible."""
    stripped = line.strip()
    return stripped == "#" or line.lstrip().startswith("# ")


def unhide_line(line: str) -> str:
    """The compiled form of a possibly hidden line."""
    body = line.lstrip()
    if body.startswith("# "):
        return line[: len(line) - len(body)] + body[2:]
    if body.strip() == "#":
        return "\n" if line.endswith("\n") else ""
    return line


@dataclass(frozen=True)
class Heading:
    """A heading in the converted HTML, with its final (book-unique) id."""

    level: int
    id: str
    html: str  # inner HTML (may contain <code>)
    text: str  # plain text


@dataclass(frozen=True)
class Chapter:
    """One Markdown file of the book, as loaded and (later) converted."""

    path: Path
    rel: str  # "chapters/03_lifetimes.md", used in messages
    name: str  # "03_lifetimes.md"
    stem: str  # "03_lifetimes"
    key: str  # "part3", "intro", "appendix-a": prefix of every id in the chapter
    kind: str  # "intro" | "part" | "appendix"
    number: int | None  # 3 for Part 3
    label: str  # "Part 3", "Appendix A", "" for the introduction
    title: str  # "Lifetimes" (the h1 without its label)
    source: str
    headings: tuple[SourceHeading, ...]
    code_blocks: tuple[CodeBlock, ...]
    # Filled in by convert, from what pandoc produced:
    links: tuple[LinkRef, ...] = ()  # links and images, in reading order, with their source lines
    figures: tuple[Figure, ...] = ()  # the images this chapter shows, resolved (see book.figures)
    html: str = ""
    toc: tuple[Heading, ...] = ()
    ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def full_title(self) -> str:
        return f"{self.label}: {self.title}" if self.label else self.title

    @property
    def output_stem(self) -> str:
        """File name stem in multi-file outputs (EPUB, handouts)."""
        return self.stem if self.kind != "intro" else "introduction"

    @property
    def handout_name(self) -> str:
        """e.g. part-01-introduction-to-ownership.pdf"""
        if self.kind == "part" and self.number is not None:
            rest = self.stem.split("_", 1)[1].replace("_", "-")
            return f"part-{self.number:02d}-{rest}.pdf"
        return self.stem.replace("_", "-") + ".pdf"


@dataclass(frozen=True)
class Book:
    """The whole book: metadata, chapters in order, and where it lives."""

    root: Path
    meta: BookMeta
    chapters: tuple[Chapter, ...]
    build_date: str  # ISO date, from SOURCE_DATE_EPOCH or the last commit
    rustc_version: str

    @property
    def chapters_dir(self) -> Path:
        return self.root / "chapters"

    @property
    def styles_dir(self) -> Path:
        return styles_dir_for(self.root)

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Every figure the book shows, once, in reading order."""
        return tuple(dict.fromkeys(f for chapter in self.chapters for f in chapter.figures))

    @property
    def parts(self) -> tuple[Chapter, ...]:
        return tuple(c for c in self.chapters if c.kind == "part")

    def chapter_for_id(self, element_id: str) -> Chapter | None:
        """Which chapter an id (or chapter key) belongs to."""
        for chapter in self.chapters:
            if element_id == chapter.key or element_id.startswith(chapter.key + "-"):
                return chapter
        return None


def styles_dir_for(root: Path) -> Path:
    """The book's styles/, or the project's own for books that have none (test fixtures)."""
    own = root / "styles"
    return own if own.is_dir() else Path(__file__).resolve().parent.parent / "styles"
