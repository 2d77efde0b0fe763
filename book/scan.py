"""Read a Markdown source line by line: headings and fenced code blocks, with their lines.

Pandoc's HTML forgets where things came from, so code blocks (which the build
compiles, and replaces by finished HTML before pandoc runs) and headings are
collected here with their line numbers. Nothing else is decided here: links,
images and raw HTML are judged on pandoc's own output (`book.sanitize`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from book.errors import Problem
from book.model import CodeBlock, SourceDiv, SourceHeading
from book.text import split_lines

RUST_FLAGS = ("compile_fail", "should_panic", "no_run", "ignore", "long_running")
ERROR_CODE = re.compile(r"^E\d{4}$")
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
MAX_OPEN = 32  # openers left unmatched in one paragraph (see _open_brackets)


DIV_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<colons>:{3,})[ \t]*(?P<attrs>\{[^}]*\}|[A-Za-z][\w-]*)?[ \t]*$")
DIV_ATTRIBUTE = re.compile(r"""(?:\.(?P<cls>[\w-]+))|(?:#(?P<id>[\w-]+))|(?:(?P<key>[\w-]+)=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s}]+)))""")


@dataclass
class ScanResult:
    headings: list[SourceHeading] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    divs: list[SourceDiv] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def scan_markdown(rel: str, text: str) -> ScanResult:
    """Collect headings and fenced code blocks from one file, with their lines.

    Links, images and raw HTML are not read here: they are judged on what
    pandoc produced (see `book.sanitize`), so that one reader decides.
    """
    result = ScanResult()
    lines = split_lines(text)
    depth: dict[str, int] = {}  # brackets left open in the current paragraph
    open_divs: list[tuple[int, str, tuple[str, ...], tuple[tuple[str, str], ...]]] = []  # (line, colons, classes, attrs)
    i = 0
    while i < len(lines):
        line = lines[i]
        div = DIV_FENCE.match(line)
        if div:
            depth = {}
            if div.group("attrs"):
                classes, attributes = parse_div_attributes(div.group("attrs"))
                open_divs.append((i + 1, div.group("colons"), classes, attributes))
            elif open_divs:
                start, _, classes, attributes = open_divs.pop()
                result.divs.append(SourceDiv(start, i + 1, classes, attributes, len(open_divs)))
            i += 1
            continue
        opening = FENCE_OPEN.match(line)
        if opening:
            if "\t" in opening.group("indent"):
                result.problems.append(Problem(rel, i + 1, "this code fence is indented with a tab; indent fences with "
                                                          "spaces (a tab makes Markdown read an indented code block)"))
            depth = {}
            i = _read_fence(rel, lines, i, opening, result)
            continue
        if not line.strip():
            depth = {}
        else:
            heading = HEADING.match(line)
            if heading:
                result.headings.append(SourceHeading(len(heading.group(1)), heading.group(2).strip(), i + 1))
            depth = _open_brackets(rel, line, i + 1, depth, result)
        i += 1
    for start, colons, classes, _ in open_divs:
        result.problems.append(Problem(rel, start, f"the div opened here ({colons} {' '.join('.' + c for c in classes)}) "
                                                   f"is never closed; add a closing {colons} line"))
    result.divs.sort(key=lambda d: d.line)
    _attach_output_blocks(rel, result)
    return result


def parse_div_attributes(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """`quiz` or `{.quiz .if-compiled #id answer="B"}` -> (classes, (("id", ...), ("answer", "B")))."""
    if not text.startswith("{"):
        return (text,), ()
    classes: list[str] = []
    attributes: list[tuple[str, str]] = []
    for match in DIV_ATTRIBUTE.finditer(text):
        if match.group("cls"):
            classes.append(match.group("cls"))
        elif match.group("id"):
            attributes.append(("id", match.group("id")))
        else:
            value = next(v for v in (match.group("dq"), match.group("sq"), match.group("bare")) if v is not None)
            attributes.append((match.group("key"), value))
    return tuple(classes), tuple(attributes)


ATTACHED = {"ub", "safe", "permissions"}


def attached_listing(lines: list[str], code_blocks: list[CodeBlock] | tuple[CodeBlock, ...],
                     divs: list[SourceDiv] | tuple[SourceDiv, ...], line: int) -> CodeBlock | None:
    """The Rust listing a construct starting at `line` is attached to, or None.

    Attached means: nothing but blank lines between the listing (with its
    ```output block) and the construct, except other constructs attached to
    the same listing (its box, its permission tables).
    """
    before = [b for b in code_blocks if b.is_rust and (b.output_lines[1] if b.output_lines else b.end_line) < line]
    if not before:
        return None
    listing = before[-1]
    end = listing.output_lines[1] if listing.output_lines else listing.end_line
    covered: set[int] = set()
    for div in divs:
        if div.line > end and div.end_line < line and set(div.classes) & ATTACHED:
            covered.update(range(div.line, div.end_line + 1))
    for number in range(end + 1, line):
        if lines[number - 1].strip() and number not in covered:
            return None
    return listing


PAIRS = {"[": "]", "(": ")", "<": ">"}
CLOSERS = {close: open_ for open_, close in PAIRS.items()}
MAX_BACKTICK_RUN = 32
BRACKET = re.compile(r"[\[\]()<>]")
BACKTICKS = re.compile(r"`+")


def _open_brackets(rel: str, line: str, number: int, depth: dict[str, int], result: ScanResult) -> dict[str, int]:
    """Count '[', '(' and '<' left open in the current paragraph; refuse absurd numbers before pandoc sees them.

    Pandoc's Markdown reader takes time that grows with the square (or worse)
    of unmatched openers in one paragraph: 5,000 '[' took a minute, 300
    unclosed `[a](` several. Prose never leaves more than a few open.
    """
    depth = dict(depth)
    for match in BRACKET.finditer(line):  # only the brackets, not every character of the line
        char = match.group(0)
        if char in PAIRS:
            depth[char] = depth.get(char, 0) + 1
            if depth[char] > MAX_OPEN:
                result.problems.append(Problem(rel, number, f"more than {MAX_OPEN} '{char}' are left open in this "
                                                            f"paragraph; Markdown cannot read that in reasonable time: "
                                                            f"close them, escape them as \\{char}, or put the text in "
                                                            "a code block"))
                return {}
        elif char in CLOSERS and depth.get(CLOSERS[char]):
            depth[CLOSERS[char]] -= 1
    longest = max((len(run) for run in BACKTICKS.findall(line)), default=0) if "`" in line else 0
    if longest > MAX_BACKTICK_RUN:
        result.problems.append(Problem(rel, number, f"a run of {longest} backticks; use at most {MAX_BACKTICK_RUN}"))
    return depth


def _read_fence(rel: str, lines: list[str], start: int, opening: re.Match[str], result: ScanResult) -> int:
    """Read one fenced block starting at `start`; return the index after it."""
    indent, fence, info = opening.group("indent"), opening.group("fence"), opening.group("info")
    closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    body: list[str] = []
    j = start + 1
    while j < len(lines) and not closing.match(lines[j]):
        body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
        j += 1
    if j == len(lines):
        result.problems.append(Problem(rel, start + 1, f"code block opened with {fence} is never closed; add a closing {fence} line"))
        return j
    lang, flags = parse_info(info)
    block = CodeBlock(line=start + 1, end_line=j + 1, lang=lang, flags=flags,
                      code="\n".join(body) + ("\n" if body else ""), indent=indent)
    result.problems.extend(_check_annotations(rel, block, info))
    result.code_blocks.append(block)
    return j + 1


def parse_info(info: str) -> tuple[str, tuple[str, ...]]:
    """`rust,compile_fail,E0382` or `{.rust .no_run}` -> ("rust", ("compile_fail", "E0382"))."""
    words = [w.lstrip(".") for w in re.split(r"[\s,{}]+", info) if w.strip(".")]
    if not words:
        return "", ()
    return words[0].lower(), tuple(words[1:])


def _check_annotations(rel: str, block: CodeBlock, info: str) -> list[Problem]:
    if not block.is_rust:
        return []
    problems = []
    for flag in block.flags:
        if flag not in RUST_FLAGS and not ERROR_CODE.match(flag):
            problems.append(Problem(rel, block.line, f"unknown code annotation '{flag}' in '```{info}'; "
                                    f"use {', '.join(RUST_FLAGS)} or an error code such as E0382"))
    modes = [f for f in block.flags if f in RUST_FLAGS and f != "long_running"]
    if len(modes) > 1:
        problems.append(Problem(rel, block.line, f"'```{info}' combines {' and '.join(modes)}; use one of them"))
    if "long_running" in block.flags and block.mode not in ("run", "should_panic"):
        problems.append(Problem(rel, block.line, f"'```{info}': long_running raises the time limit of a listing that "
                                                 "runs; a listing that is not run does not need it"))
    if block.error_codes and "compile_fail" not in block.flags:
        problems.append(Problem(rel, block.line, f"error code {block.error_codes[0]} given without compile_fail; write ```rust,compile_fail,{block.error_codes[0]}"))
    if block.mode == "ignore" and "//" not in block.code:
        problems.append(Problem(rel, block.line, "```rust,ignore needs a comment in the block saying why it is not checked (e.g. '// ignore: needs a network')"))
    return problems


def _attach_output_blocks(rel: str, result: ScanResult) -> None:
    """A ```output block right after a Rust listing is that listing's expected stdout."""
    blocks = result.code_blocks
    kept: list[CodeBlock] = []
    for block in blocks:
        if block.lang == "output":
            previous = kept[-1] if kept else None
            if previous is None or not previous.is_rust or previous.mode not in ("run", "should_panic") \
                    or previous.expected_output is not None or block.line - previous.end_line > 2:
                result.problems.append(Problem(rel, block.line, "an ```output block must directly follow a ```rust listing that runs"))
                continue
            kept[-1] = _with_output(previous, block)
            continue
        kept.append(block)
    result.code_blocks = kept


def _with_output(listing: CodeBlock, output: CodeBlock) -> CodeBlock:
    return replace(listing, expected_output=output.code, output_lines=(output.line, output.end_line))
