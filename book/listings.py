"""Turn fenced code blocks into finished HTML before pandoc sees the chapter.

Each block becomes a raw HTML block: the visible code (hidden `# ` lines and
the checker's annotations gone), lean highlighting, a label for listings that
must not compile or that panic, and, for Rust, what the checker really saw:
the program's output, rustc's error, or the panic message.
"""

from __future__ import annotations

from html import escape

from book.controls import show_controls
from book.highlight import highlight, mark_long_lines
from book.model import Chapter, CodeBlock
from book.rustcheck import Result

CODE_COLUMNS = 80  # what fits the printed text block at the code font size
OUTPUT_COLUMNS = 92  # compiler output is set smaller
LABELS = {
    "compile_fail": "Does not compile",
    "should_panic": "Panics at run time",
    "no_run": "Compiles; not run here",
}


def render_block(block: CodeBlock, result: Result | None) -> str:
    """One listing as HTML (well-formed XHTML as well, for the EPUB)."""
    mode = block.mode if block.is_rust else "plain"
    parts = [f'<div class="listing listing-{mode.replace("_", "-")}" data-listing="{block.line}">']
    label = listing_label(block)
    if label:
        parts.append(f'<p class="listing-label">{escape(label)}</p>')
    parts.append(code_html(block))
    if block.is_rust and result is not None:
        parts.append(result_html(block, result))
    parts.append("</div>")
    return "".join(parts)


def listing_label(block: CodeBlock) -> str:
    """"Does not compile (E0382)", "Panics at run time", ... or "" for a listing that runs."""
    label = LABELS.get(block.mode) if block.is_rust else None
    if not label:
        return ""
    return label + (f" ({', '.join(block.error_codes)})" if block.error_codes else "")


def code_html(block: CodeBlock) -> str:
    """The visible code, highlighted, as a <pre>."""
    lang = block.lang or "text"
    visible = block.visible_code.rstrip("\n")
    code = mark_long_lines(highlight(visible, lang), visible, CODE_COLUMNS)
    return f'<pre class="code" data-lang="{escape(lang)}"><code class="language-{escape(lang)}">{code}</code></pre>'


def result_html(block: CodeBlock, result: Result) -> str:
    """What rustc and the program did: the error, the output, the panic."""
    return "".join(_result_boxes(block, result))


def _result_boxes(block: CodeBlock, result: Result) -> list[str]:
    boxes = []
    if block.mode == "compile_fail" and result.errors:
        boxes.append(_box("error", "Compiler output", result.errors))
    if block.mode in ("run", "should_panic") and result.stdout.strip():
        boxes.append(_box("output", "Output", result.stdout))
    if block.mode == "should_panic" and result.stderr.strip():
        boxes.append(_box("panic", "Panic", result.stderr))
    return boxes


def _box(kind: str, label: str, text: str) -> str:
    """A result box; control characters in what rustc or the program printed are shown, never sent raw."""
    text = show_controls(text).lstrip("\n").rstrip()  # a panic message starts with a newline; XHTML would show it
    return (f'<div class="result result-{kind}" role="note" aria-label="{label}">'
            f'<p class="result-label">{label}</p>'
            f'<pre><code>{mark_long_lines(escape(text, quote=False), text, OUTPUT_COLUMNS)}</code></pre></div>')


def replace_code_blocks(chapter: Chapter, results: dict[int, Result]) -> str:
    """The chapter's Markdown with every fenced block replaced by raw HTML, line for line.

    `results` maps a block's opening line to its checker result. Each
    replacement takes exactly as many lines as the block it replaces (the
    HTML on one line, its newlines written as `&#10;`, then blank lines), so
    line numbers in pandoc's messages are the source's.
    """
    lines = chapter.source.split("\n")
    replacements: dict[int, tuple[int, list[str]]] = {}  # first line index -> (last line index, lines)
    for block in chapter.code_blocks:
        html = render_block(block, results.get(block.line)).replace("\n", "&#10;")
        last = (block.output_lines[1] if block.output_lines else block.end_line) - 1
        fence = "`" * max(4, _longest_backtick_run(html) + 1)
        text = [f"{block.indent}{fence}{{=html}}", block.indent + html, f"{block.indent}{fence}"]
        replacements[block.line - 1] = (last, text + [""] * (last - block.line + 2 - len(text)))
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replacements:
            last, text = replacements[i]
            out.extend(text)
            i = last + 1
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out) + "\n"


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest
