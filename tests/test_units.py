"""Small, fast checks of the pieces whose details matter for every output."""

from __future__ import annotations

from book.highlight import highlight, mark_long_lines
from book.model import CodeBlock
from book.rustcheck import build_program, remap_lines
from book.scan import parse_info, scan_markdown


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


def test_scanner_records_lines_and_skips_code() -> None:
    text = "# T\n\nSee [x](./a.md#b).\n\n```rust\nlet s = \"[not](a link)\";\n```\n\n![fig](figures/f.svg)\n"
    result = scan_markdown("chapters/x.md", text)
    assert [(l.target, l.line, l.is_image) for l in result.links] == [("./a.md#b", 3, False), ("figures/f.svg", 9, True)]
    assert [(b.line, b.end_line, b.lang) for b in result.code_blocks] == [(5, 7, "rust")]
    assert result.problems == []
