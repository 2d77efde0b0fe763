"""A chapter's Rust examples cannot read, write or reach anything of the machine, and stop at their limits.

The R cases of the hostile-input review (shared/reviews/hostile.md), each in
several spellings, against a planted secret outside the project and a local
listener; checked by their effect on the filesystem, processes and outputs.
"""

from __future__ import annotations

import shutil
import socket
import zipfile
from pathlib import Path

import pytest

from conftest import FixtureBook, assert_clean_failure, run_cli
from test_rustcheck import chapter_with, fence
from test_sandbox import processes_running

SECRET = "FUZZ-SECRET-91b2"
SLEEPER = "sleep 297.25"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "fuzz-secret.txt"
    path.parent.mkdir()
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


def test_examples_cannot_read_write_spawn_or_connect_outside(fixture_book: FixtureBook, secret: Path) -> None:
    """R02 R03 R06 R11 R14 R16 R17 (and R12's control characters), in one build that must succeed."""
    root = fixture_book.root
    victim = fixture_book.path("chapters/victim.txt")
    victim.write_text("untouched\n", encoding="utf-8")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        chapter_with(
            fixture_book,
            fence("rust", f"""
use std::fs;
let kind = |r: std::io::Result<String>| r.map(|s| s.len()).map_err(|e| e.kind());
println!("secret: {{:?}}", kind(fs::read_to_string("{secret}")));
println!("relative: {{:?}}", kind(fs::read_to_string("../../../../../../..{secret}")));
println!("hostname: {{:?}}", kind(fs::read_to_string("/etc/hostname")));
println!("project: {{:?}}", kind(fs::read_to_string("{root}/book.toml")));
let parent = std::os::unix::process::parent_id();
println!("parent cwd: {{:?}}", fs::read_link(format!("/proc/{{parent}}/cwd")).map_err(|e| e.kind()));
println!("home: {{:?}}", fs::read_dir("/root").map(|_| ()).map_err(|e| e.kind()));"""),
            fence("rust", f"""
let _ = std::fs::create_dir_all("{secret.parent}");
let _ = std::fs::write("{secret.parent}/wrote-this", "written by a book example");
let _ = std::fs::write("{victim}", "DAMAGED");
let _ = std::fs::create_dir_all("{root}/dist/html");
let _ = std::fs::write("{root}/dist/html/planted.html", "DAMAGED");
println!("tried");"""),
            fence("rust", f"""
use std::process::Command;
let script = "cat {secret}; cat /etc/hostname; ({SLEEPER} </dev/null >/dev/null 2>&1 &); \\
              setsid {SLEEPER} </dev/null >/dev/null 2>&1 & echo spawned";
let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
print!("{{}}", String::from_utf8_lossy(&out.stdout));"""),
            fence("rust", f"""
use std::io::{{Read, Write}};
use std::net::{{TcpStream, ToSocketAddrs}};
match TcpStream::connect("127.0.0.1:{port}") {{
    Ok(mut s) => {{
        let _ = s.write_all(b"GET /fetched-by-book-example HTTP/1.0\\r\\n\\r\\n");
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        println!("connected: {{reply}}");
    }}
    Err(e) => println!("no network: {{:?}}", e.kind()),
}}
println!("resolves: {{}}", "example.com:80".to_socket_addrs().is_ok());"""),
            fence("rust", """
println!("{}", std::env::current_dir().unwrap().display());
println!("{:?}", std::env::current_exe().unwrap());
let mut vars: Vec<_> = std::env::vars().collect();
vars.sort();
println!("{vars:?}");"""),
            fence("rust", r'println!("esc \x1b[31mred\x1b[0m nul \0 bell \x07 end");'),
            fence("rust,compile_fail", f'let x: u32 = include!("{secret}");'),
            fence("rust,compile_fail", f'let x: u32 = include_bytes!("{secret}");'),
        )
        run = fixture_book.build("html", "epub")
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # R17: the build is over; a connection would be waiting
    assert run.code == 0, run.err
    assert not (secret.parent / "wrote-this").exists()  # R03
    assert victim.read_text(encoding="utf-8") == "untouched\n"  # R11
    assert not fixture_book.path("dist/html/planted.html").exists()
    assert processes_running(SLEEPER) == []  # R06
    html = fixture_book.read("dist/html/index.html")
    with zipfile.ZipFile(fixture_book.path("dist/mini-book.epub")) as epub:
        xhtml = epub.read("EPUB/02_second.xhtml").decode()
    for output in (html, xhtml, run.out, run.err):
        assert SECRET not in output  # R01 R02 R16
    for line in ("secret: Err(NotFound)", "relative: Err(NotFound)", "hostname: Err(NotFound)",
                 "project: Err(NotFound)", "parent cwd: Err(PermissionDenied)", "home: Err(NotFound)",
                 "<code>tried</code>", "<code>spawned</code>", "no network: ConnectionRefused", "resolves: false"):
        assert line in html, line
    # R14: the same folder, program path and environment in every build, wherever the project is
    shown = html.replace("&quot;", '"')
    assert '<code>/example\n"/example/example"\n' in shown
    assert '[("HOME", "/example"), ("LANG", "C.UTF-8"), ("PATH", "/rust/bin:/usr/bin:/bin"), ("TERM", "dumb")]' in shown
    # R12: control characters shown as control pictures, never raw
    for output in (html, xhtml):
        assert "esc ␛[31mred␛[0m nul ␀ bell ␇ end" in output
        assert not any(char in output for char in "\x00\x07\x1b")
    assert f"couldn't read `{secret}`" in html  # R16: rustc's message names the file it could not see


@pytest.mark.parametrize("code", [
    'print!("{}", include_str!("SECRET"));',
    'print!("{:?}", include_bytes!("SECRET"));',
    'let n: u32 = include!("SECRET");\nprintln!("{n}");',
    'print!("{}", include_str!("../../../../../../../..SECRET"));',
])
def test_include_of_a_file_outside_does_not_compile(fixture_book: FixtureBook, secret: Path, code: str) -> None:
    """R01: rustc sees only the toolchain, /usr and the example's own folder."""
    chapter_with(fixture_book, fence("rust", code.replace("SECRET", str(secret))))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:5: example 1: does not compile", "couldn't read")
    assert SECRET not in run.err


def test_limits_stop_examples_with_clear_messages(fixture_book: FixtureBook) -> None:
    """R04 R05 R13: time, memory and output; R07's long demonstration passes with rust,long_running."""
    chapter_with(fixture_book,
                 fence("rust", "loop {}"),
                 fence("rust", "let mut v: Vec<Vec<u8>> = Vec::new();\nloop {\n    v.push(vec![1u8; 64 << 20]);\n}"),
                 fence("rust", 'let line = "x".repeat(99);\nfor _ in 0..300_000 { println!("{line}"); }'),
                 fence("rust,should_panic,long_running",
                       'std::thread::sleep(std::time::Duration::from_secs(11));\npanic!("slow but fine");'))
    run = fixture_book.check()
    assert_clean_failure(run,
                         "chapters/02_second.md:5: example 1: exceeded the 10 s time limit; a listing that runs "
                         "forever must be marked rust,no_run, and one that legitimately runs longer "
                         "rust,long_running (the 60 s time limit)",
                         "chapters/02_second.md:9: example 2: exceeded the 512 MiB memory limit",
                         "memory allocation of 67108864 bytes failed",
                         "chapters/02_second.md:16: example 3: exceeded the 64 KiB output limit",
                         "3 problems")
    assert "example 4" not in run.err


@pytest.mark.parametrize("info, message", [
    ("rust,no_run,long_running", "'```rust,no_run,long_running': long_running raises the time limit of a listing that runs"),
    ("rust,compile_fail,long_running", "'```rust,compile_fail,long_running': long_running raises the time limit"),
    ("rust,long-running", "unknown code annotation 'long-running'"),
])
def test_long_running_only_on_listings_that_run(fixture_book: FixtureBook, info: str, message: str) -> None:
    chapter_with(fixture_book, fence(info, "let x = 1;"))
    assert_clean_failure(fixture_book.check(), f"chapters/02_second.md:5: {message}")


def test_without_bubblewrap_the_check_says_what_to_install(fixture_book: FixtureBook, tmp_path: Path) -> None:
    """No silent fallback to running examples unconfined: rustc is on PATH, bwrap is not."""
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "rustc").symlink_to(shutil.which("rustc"))
    chapter_with(fixture_book, fence("rust", 'println!("hi");'))
    run = run_cli("check", "--root", str(fixture_book.root), env={"PATH": str(tools)})
    assert_clean_failure(run, "examples: cannot run the Rust examples confined: bwrap not found",
                         "install the Debian package bubblewrap")


@pytest.mark.parametrize("limit, message", [
    ("timed_out", "example 1: rustc exceeded the 60 s time limit; a compile-time evaluation or macro expansion"),
    ("memory_exceeded", "example 1: rustc exceeded the 4 GiB memory limit"),
])
def test_a_compile_that_hits_a_limit_is_not_told_to_use_no_run(limit: str, message: str) -> None:
    """R09b R15: the compile limit is a minute; its message, judged here without the wait, cannot advise no_run."""
    from book.model import Chapter, CodeBlock
    from book.rustcheck import Example, Result, judge

    chapter = Chapter(path=Path("x.md"), rel="chapters/x.md", name="x.md", stem="x", key="x", kind="part", number=1,
                      label="Part 1", title="X", source="", headings=(), links=(), code_blocks=())
    for flags in ((), ("no_run",), ("compile_fail",)):
        block = CodeBlock(line=7, end_line=9, lang="rust", flags=flags, code="const X: u64 = loop {};\n", indent="")
        problems = judge(Example(chapter, 1, block), Result(compiled=False, **{limit: True}))
        assert len(problems) == 1 and problems[0].format().startswith(f"chapters/x.md:7: {message}")
        assert "no_run" not in problems[0].message
