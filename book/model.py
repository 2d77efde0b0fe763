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
    glossary: str = ""  # [index] glossary: the chapter whose `### Term` entries the index takes in


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
class SourceDiv:
    """A pandoc fenced div as written (`::: note`, `:::: {.quiz answer="B"}`), with its fence lines."""

    line: int  # the opening fence
    end_line: int  # the closing fence
    classes: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]  # key=value pairs, in order
    depth: int  # 0 for a div at the top level of the chapter

    def has(self, name: str) -> bool:
        return name in self.classes

    def attribute(self, key: str) -> str | None:
        return next((value for k, value in self.attributes if k == key), None)


PERMISSIONS = "RWO"


@dataclass(frozen=True)
class PermissionCell:
    """One place at one step: the permissions it holds after the line, or what the line needs."""

    holds: frozenset[str] = frozenset()  # subset of R, W, O
    needs: frozenset[str] = frozenset()  # `needs W`: the line's operation needs these
    needs_met: bool | None = None  # filled in by the check: did the place have them just before the line?


@dataclass(frozen=True)
class PermissionRow:
    line: int  # the table row in the Markdown
    code: str  # the listing line it names, as written in the cell
    listing_line: int  # 1-based visible line of the listing it names
    cells: tuple[PermissionCell, ...]


@dataclass(frozen=True)
class PermissionTable:
    """Brown's permission model for one listing: what each place may do after each step."""

    line: int  # the opening fence of the `permissions` div
    end_line: int
    listing: CodeBlock
    places: tuple[str, ...]  # "v", "s.name", "*r"
    rows: tuple[PermissionRow, ...]
    runtime: bool = False  # a RefCell table: R/W mean try_borrow / try_borrow_mut would succeed

    @property
    def key(self) -> str:
        return f"permissions-{self.line}"


@dataclass(frozen=True)
class Choice:
    html: str  # the choice as inline HTML
    correct: bool
    feedback: str = ""  # shown when a reader picks it ("why not" or "why yes"), HTML


@dataclass(frozen=True)
class QuestionListing:
    """A Rust listing inside a question: its code is the question, what rustc did is part of the answer."""

    block: CodeBlock
    code_html: str  # the listing as shown in the question (no label, no output)
    answer_label: str  # "Compiles and runs", "Does not compile (E0382)", "Compiles, then panics"
    result_html: str  # rustc's error, the output, the panic, as the answer shows them
    stdout: str  # what the program printed (tracing answers are compared with it)


@dataclass(frozen=True)
class Question:
    """A self-check question: multiple choice, tracing, or "if this compiled"."""

    key: str  # "quiz-57": its placeholder in the chapter's HTML
    id: str  # "part2-check-3": the question's anchor; its answer is id + "-answer"
    number: str  # "2.3"
    kind: str  # "choice" | "tracing" | "if-compiled"
    line: int
    prompt: str  # HTML
    choices: tuple[Choice, ...]
    explanation: str  # HTML
    listing: QuestionListing | None = None

    @property
    def multiple(self) -> bool:
        return sum(choice.correct for choice in self.choices) > 1

    @property
    def letters(self) -> str:
        """The right answers as letters: "B" or "A, C"."""
        return ", ".join(chr(65 + i) for i, choice in enumerate(self.choices) if choice.correct)

    @property
    def correct_indices(self) -> str:
        return ",".join(str(i) for i, choice in enumerate(self.choices) if choice.correct)

    @property
    def answer_id(self) -> str:
        return f"{self.id}-answer"


@dataclass(frozen=True)
class Box:
    """An "If this compiled" box under a rejected listing: undefined behaviour, or safe but rejected."""

    key: str
    kind: str  # "ub" | "safe"
    line: int
    html: str
    id: str = ""


@dataclass(frozen=True)
class Aside:
    """A Going deeper aside: off the core path, collapsed on the web."""

    key: str
    line: int
    title: str  # inline HTML
    html: str  # the body
    id: str = ""
    words: int = 0


Construct = Question | Box | Aside | PermissionTable


@dataclass(frozen=True)
class IndexMark:
    """An author's index mark, `[words]{.index ...}` (see `book.indexmarks`): a place in the text and its term."""

    line: int
    id: str  # the anchor left in the chapter's HTML ("" for a see-reference, which has no place)
    term: str  # inline HTML: the marked words, or the term="..." given
    sub: str = ""  # a sub-entry under the term (HTML)
    see: str = ""  # "see ...": the term to look under instead (HTML)
    see_also: tuple[str, ...] = ()  # "see also ..." (HTML)
    text: str = ""  # the marked words as plain text ("" for an empty mark)
    end: str = ""  # for a range (.start ... .end): the anchor where it ends


@dataclass(frozen=True)
class IndexLocator:
    """One place an index entry leads to: a page (or a range of pages) in print, a link elsewhere."""

    start: str  # the anchor id
    end: str = ""  # the anchor id where a range ends ("" for a single place)
    chapter: str = ""  # the chapter key
    label: str = ""  # its chapter's label ("Part 2"), or title where it has none
    section: str = ""  # its ## or ### section as text (else the chapter's title): what a link to it says on screen
    definition: bool = False  # the glossary's definition (printed in italics)


@dataclass(frozen=True)
class IndexEntry:
    """A term (or an error code) of the index, with its places, sub-entries and cross-references."""

    id: str  # its own anchor in the index ("index-borrow-checker")
    html: str  # the heading as shown (inline HTML)
    sort: str  # the key it is sorted by
    forms: tuple[str, ...]  # plain texts that name it in the book (the term, marked words), for checks
    locators: tuple[IndexLocator, ...] = ()
    subentries: tuple["IndexEntry", ...] = ()
    see: tuple[tuple[str, str], ...] = ()  # (HTML, entry id): "see ..."
    see_also: tuple[tuple[str, str], ...] = ()
    description: str = ""  # error codes: what rustc says ("use of moved value"), HTML


@dataclass(frozen=True)
class BookIndex:
    """The back-of-book index: terms, and compiler error codes, in the order they are printed."""

    terms: tuple[IndexEntry, ...] = ()
    codes: tuple[IndexEntry, ...] = ()

    @property
    def entries(self) -> tuple[IndexEntry, ...]:
        """Every entry and sub-entry, terms first."""
        return tuple(e for top in self.terms + self.codes for e in (top, *top.subentries))

    def __bool__(self) -> bool:
        return bool(self.terms or self.codes)


@dataclass(frozen=True)
class Exercise:
    """A part's `### Exercise N.M: Title`, with its worked solution from the solutions appendix."""

    number: str  # "1.3"
    title: str  # inline HTML, without "Exercise 1.3: "
    level: int  # 1 warm-up (★), 2 practice (★★), 3 challenge (★★★); 0 when unmarked
    html: str  # the exercise as the book prints it, without the link to its solution
    line: int
    solution: str = ""  # the worked solution's HTML, without its link back ("" when the book has none)


@dataclass(frozen=True)
class Worksheet:
    """What a class gets for one part: key points, self-checks, exercises; the teacher's key has the answers."""

    key: str  # the part's key, "part3"
    label: str  # "Part 3"
    title: str  # "Lifetimes"
    stem: str  # "part-03-lifetimes", as the part's handout is named
    key_points: str  # the part's `## Key points` as HTML ("" when it has none)
    questions: tuple[Question, ...]
    exercises: tuple[Exercise, ...]

    @property
    def sheet_name(self) -> str:
        return f"{self.stem}-worksheet.pdf"

    @property
    def answers_name(self) -> str:
        return f"{self.stem}-teachers-key.pdf"


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
    divs: tuple[SourceDiv, ...] = ()
    tables: tuple[PermissionTable, ...] = ()
    # Filled in by convert, from what pandoc produced:
    links: tuple[LinkRef, ...] = ()  # links and images, in reading order, with their source lines
    figures: tuple[Figure, ...] = ()  # the images this chapter shows, resolved (see book.figures)
    constructs: tuple[Construct, ...] = ()  # questions, boxes, asides, tables: `<div data-construct=KEY>` in html
    index_marks: tuple[IndexMark, ...] = ()  # the author's index marks, `<span class="index-mark" id=...>` in html
    html: str = ""
    toc: tuple[Heading, ...] = ()
    ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def full_title(self) -> str:
        return f"{self.label}: {self.title}" if self.label else self.title

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(c for c in self.constructs if isinstance(c, Question))

    def construct(self, key: str) -> Construct | None:
        return next((c for c in self.constructs if getattr(c, "key", None) == key), None)

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
    index: BookIndex = field(default_factory=BookIndex)  # filled in after convert (book.bookindex)
    worksheets: tuple[Worksheet, ...] = ()  # one per part, filled in after conversion (book.worksheets)

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
