"""Read a Markdown source line by line and record what later steps need.

Pandoc's HTML forgets where things came from, so headings, links, images and
code blocks are collected here with their line numbers; every error message
about a link or an example can then name `chapters/FILE.md:LINE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from book.errors import Problem
from book.model import CodeBlock, LinkRef, SourceHeading

RUST_FLAGS = ("compile_fail", "should_panic", "no_run", "ignore", "long_running")
ERROR_CODE = re.compile(r"^E\d{4}$")
FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
LINK_DEFINITION = re.compile(r"^\s{0,3}\[([^\]^][^\]]*)\]:\s*<?(\S+?)>?(?:\s.*)?$")
RAW_TAG = re.compile(r"<\s*(script|iframe|object|embed|link|style|meta|base|form|frame|frameset|applet)\b", re.I)
HTML_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])")
KNOWN_HTML = frozenset("""a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div dl dt
em figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q s samp small span strong sub summary sup
table tbody td tfoot th thead time tr u ul var wbr""".split())
RAW_URL_ATTR = re.compile(r"<\s*(img|a|source|video|audio)\b[^>]*?\b(src|href)\s*=\s*[\"']([^\"']+)[\"']", re.I)


@dataclass
class ScanResult:
    headings: list[SourceHeading] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def scan_markdown(rel: str, text: str) -> ScanResult:
    """Collect headings, links, images and fenced code blocks from one file."""
    result = ScanResult()
    lines = text.splitlines()
    paragraph: list[tuple[int, str]] = []  # prose lines since the last blank line or fence
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE_OPEN.match(line)
        if opening or not line.strip():
            _scan_paragraph(rel, paragraph, result)
            paragraph = []
        if opening:
            i = _read_fence(rel, lines, i, opening, result)
            continue
        if line.strip():
            paragraph.append((i + 1, line))
        i += 1
    _scan_paragraph(rel, paragraph, result)
    _attach_output_blocks(rel, result)
    return result


def _scan_paragraph(rel: str, paragraph: list[tuple[int, str]], result: ScanResult) -> None:
    """Blank out inline code (which may span lines) so that `Vec<T>` is not taken for HTML or a link."""
    if not paragraph:
        return
    joined = "\n".join(line for _, line in paragraph)
    masked = INLINE_CODE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), joined)
    for (number, original), prose in zip(paragraph, masked.split("\n")):
        _scan_prose_line(rel, original, prose, number, result)


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


def _scan_prose_line(rel: str, line: str, prose: str, number: int, result: ScanResult) -> None:
    """`line` as written, `prose` the same line with inline code blanked out."""
    heading = HEADING.match(line)
    if heading:
        result.headings.append(SourceHeading(len(heading.group(1)), heading.group(2).strip(), number))
    for match in LINK.finditer(prose):
        result.links.append(LinkRef(match.group(3), number, is_image=bool(match.group(1)), text=match.group(2)))
    definition = LINK_DEFINITION.match(prose)
    if definition:
        result.links.append(LinkRef(definition.group(2), number, text=definition.group(1)))
    for match in RAW_URL_ATTR.finditer(prose):
        result.links.append(LinkRef(match.group(3), number, is_image=match.group(1).lower() != "a"))
    for match in HTML_TAG.finditer(prose):
        name = match.group(1).lower()
        if name not in KNOWN_HTML and not RAW_TAG.match(match.group(0).replace("/", "")):
            result.problems.append(Problem(rel, number, f"'{match.group(0)}>' reads as an HTML tag and would vanish or "
                                           "break the EPUB; put code in backticks (`Vec<String>`)"))
    tag = RAW_TAG.search(prose)
    if tag:
        result.problems.append(Problem(rel, number, f"raw <{tag.group(1).lower()}> is not allowed in a chapter "
                                       "(no scripts, frames, embedded objects or external styles); "
                                       "use Markdown, a figure in chapters/figures/, or a callout"))


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
