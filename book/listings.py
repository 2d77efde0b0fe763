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
    parts = [f'<div class="listing listing-{mode.replace("_", "-")}">']
    label = LABELS.get(mode) if block.is_rust else None
    if label:
        codes = f" ({', '.join(block.error_codes)})" if block.error_codes else ""
        parts.append(f'<p class="listing-label">{escape(label + codes)}</p>')
    lang = block.lang or "text"
    visible = block.visible_code.rstrip("\n")
    code = mark_long_lines(highlight(visible, lang), visible, CODE_COLUMNS)
    parts.append(f'<pre class="code" data-lang="{escape(lang)}"><code class="language-{escape(lang)}">{code}</code></pre>')
    if block.is_rust and result is not None:
        parts.extend(_result_boxes(block, result))
    parts.append("</div>")
    return "".join(parts)


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
    """The chapter's Markdown with every fenced block replaced by raw HTML.

    `results` maps a block's opening line to its checker result.
    """
    lines = chapter.source.splitlines()
    replacements: dict[int, tuple[int, str]] = {}  # first line index -> (last line index, text)
    for block in chapter.code_blocks:
        html = render_block(block, results.get(block.line))
        last = (block.output_lines[1] if block.output_lines else block.end_line) - 1
        fence = "`" * max(4, _longest_backtick_run(html) + 1)
        indented = "\n".join(block.indent + line for line in html.split("\n"))
        replacements[block.line - 1] = (last, f"{block.indent}{fence}{{=html}}\n{indented}\n{block.indent}{fence}")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i in replacements:
            last, text = replacements[i]
            out.append(text)
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
