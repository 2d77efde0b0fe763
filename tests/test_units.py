"""Small, fast checks of the pieces whose details matter for every output."""

from __future__ import annotations

from book.highlight import highlight, mark_long_lines
from book.model import CodeBlock
from book.rustcheck import build_program, remap_lines
from book.locate import Locator
from book.scan import parse_info, scan_markdown
from book.text import control_character_problems, decode_source


def block(code: str, flags: tuple[str, ...] = ()) -> CodeBlock:
    return CodeBlock(line=1, end_line=2, lang="rust", flags=flags, code=code, indent="")


def test_highlighting_is_lean() -> None:
    html = highlight('pub fn main() { let s: String = String::from("x"); }\n', "rust")
    assert "<a " not in html  # no per-line anchors
    assert '<span class="kw">pub fn</span>' in html  # adjacent tokens of one class merged
    assert "<span> </span>" not in html and 'class=""' not in html
    assert html.count("<span") == 6  # pub fn, main, let, String, String, "x"


def test_every_highlighted_line_is_balanced() -> None:
    html = highlight("/* one\ntwo */ let x = 1;\n", "rust")
    for line in html.split("\n"):
        assert line.count("<span") == line.count("</span>")


def test_long_lines_are_marked_for_wrapping() -> None:
    code = "short\n" + "x" * 90
    assert mark_long_lines(code, code, 80).split("\n") == ["short", f'<span class="ll">{"x" * 90}</span>']


def test_hidden_lines_and_the_main_wrapper_map_back_to_visible_lines() -> None:
    program = build_program(block("# use std::fmt;\nlet a = 1;\n# let hidden = 2;\nlet b = a;\n"))
    assert program.source.splitlines() == ["fn main() {", "use std::fmt;", "let a = 1;", "let hidden = 2;", "let b = a;", "}"]
    assert program.line_map == (None, None, 1, None, 2, None)
    assert remap_lines("--> src/main.rs:5:9\n  |\n5 | let b = a;", program) == "--> src/main.rs:2:9\n  |\n2 | let b = a;"


def test_program_with_its_own_main_is_not_wrapped() -> None:
    program = build_program(block("fn main() {\n    println!();\n}\n"))
    assert program.source == "fn main() {\n    println!();\n}\n"


def test_info_strings() -> None:
    assert parse_info("rust,compile_fail,E0382") == ("rust", ("compile_fail", "E0382"))
    assert parse_info("{.rust .no_run}") == ("rust", ("no_run",))
    assert parse_info("") == ("", ())


def test_scanner_records_headings_and_code_blocks_with_their_lines() -> None:
    text = "# T\n\nSee [x](./a.md#b).\n\n```rust\nlet s = \"[not](a link)\";\n```\n\n## Next\n"
    result = scan_markdown("chapters/x.md", text)
    assert [(h.level, h.text, h.line) for h in result.headings] == [(1, "T", 1), (2, "Next", 9)]
    assert [(b.line, b.end_line, b.lang) for b in result.code_blocks] == [(5, 7, "rust")]
    assert result.problems == []


def test_lines_are_counted_as_an_editor_counts_them() -> None:
    """U+2028, NEL and form feed are not line breaks for an editor; CR and CRLF are normalised first."""
    text = decode_source("# T\r\n\r\none\u2028two\r\n\r\n```rust\nlet a = 1;\n```\n".encode(), "x.md")
    assert [b.line for b in scan_markdown("x.md", text).code_blocks] == [5]
    assert control_character_problems("ok\nbad \x1b[31m\nnul \x00\n", "x.md")[0].line == 2
    assert [p.line for p in control_character_problems("a\u202eb\nfine\n\x85", "x.md")] == [1, 3]


def test_links_are_located_in_reading_order_each_occurrence_once() -> None:
    source = "[a](javascript:x)\n\n[b](javascript:x)\n\n<a href=\"jav&#x61;script:x\">c</a>\n"
    locator = Locator(source)
    assert [locator.line_of("javascript:x", after=after) for after in (1, 1, 3)] == [1, 3, 5]
