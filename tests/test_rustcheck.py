"""Every Rust example is compiled and run; failures name file, line and example number."""

from __future__ import annotations

import re
import zipfile


from conftest import FixtureBook, assert_clean_failure

HEADER = "# Part 2: Second\n\n## Borrowing a value\n\n"


def chapter_with(fixture_book: FixtureBook, *blocks: str) -> None:
    fixture_book.write("chapters/02_second.md", HEADER + "\n\n".join(blocks) + "\n")


def fence(info: str, code: str) -> str:
    """A listing; a rejected one carries the "If this compiled" box every rejected listing in a part needs."""
    box = "\n\n::: ub\nIf this compiled, a buffer would be freed twice.\n:::" if "compile_fail" in info else ""
    return f"```{info}\n{code.strip()}\n```{box}"


MOVE_ERROR = 'let s = String::from("a");\nlet t = s;\nprintln!("{s} {t}");'
TWO_MUT = "let mut v = vec![1];\nlet a = &mut v;\nlet b = &mut v;\na.push(1);\nb.push(2);"


def test_passing_program_and_right_error_code(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'println!("hello");'), fence("rust,compile_fail,E0382", MOVE_ERROR))
    assert fixture_book.check().code == 0


def test_compile_fail_with_the_wrong_code(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'println!("ok");'), fence("rust,compile_fail,E0382", TWO_MUT))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:9: example 2: expected E0382, rustc reported E0499",
                         "error[E0499]: cannot borrow `v` as mutable more than once at a time")


def test_compile_fail_that_compiles(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust,compile_fail,E0382", 'let s = String::new();\nprintln!("{s}");'))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:5: example 1: expected a compile error (E0382), but it compiled")


def test_program_that_does_not_compile(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", MOVE_ERROR))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:5: example 1: does not compile (rustc reported E0382)",
                         "borrow of moved value: `s`")


def test_should_panic_that_does_not_panic(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust,should_panic", 'println!("fine");'))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:5: example 1: marked should_panic but did not panic (exit code 0)")


def test_program_that_panics_without_should_panic(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'let v: Vec<u8> = Vec::new();\nprintln!("{}", v[3]);'))
    run = fixture_book.check()
    assert_clean_failure(run, "example 1: the program failed with exit code 101", "index out of bounds")


def test_shown_output_that_differs_from_the_real_one(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'println!("{}", 2 + 2);') + "\n\n" + fence("output", "5"))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:9: example 1: the ```output block differs from what the program prints",
                         "-5", "+4")


def test_matching_output_block_passes(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'println!("{}", 2 + 2);') + "\n\n" + fence("output", "4"))
    assert fixture_book.check().code == 0


def test_ignore_needs_a_reason(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust,ignore", "let x = ;"))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:5: ```rust,ignore needs a comment in the block saying why")
    chapter_with(fixture_book, fence("rust,ignore", "// ignore: shows syntax that is not valid on its own\nlet x = ;"))
    assert fixture_book.check().code == 0


def test_unknown_annotation(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust,compile-fail", "let x = 1;"))
    run = fixture_book.check()
    assert_clean_failure(run, "chapters/02_second.md:5: unknown code annotation 'compile-fail'")


def test_output_that_varies_between_runs(fixture_book: FixtureBook) -> None:
    code = "let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();\nprintln!(\"{}\", t.as_nanos());"
    chapter_with(fixture_book, fence("rust", code))
    run = fixture_book.check()
    assert_clean_failure(run, "example 1: prints different output on each run")


def test_every_failure_is_reported_not_only_the_first(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust,compile_fail,E0382", TWO_MUT), fence("rust,should_panic", "let _x = 1;"))
    run = fixture_book.check()
    assert_clean_failure(run, "example 1: expected E0382", "example 2: marked should_panic", "2 problems")


def test_the_book_shows_what_rustc_said(fixture_book: FixtureBook) -> None:
    """Hidden lines, annotations and wrappers never leak; outputs are real and line numbers match the listing."""
    chapter_with(fixture_book,
                 fence("rust", '# fn helper() -> u32 { 41 }\nlet answer = helper() + 1;\nprintln!("answer = {answer}");'),
                 fence("rust,compile_fail,E0382", "# fn main() {\n" + MOVE_ERROR + "\n# }"),
                 fence("rust,should_panic", 'let empty: Vec<i32> = Vec::new();\nlet _first = empty[0];'))
    run = fixture_book.build("html", "epub")
    assert run.code == 0, run.err
    html = fixture_book.path("dist/html/index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert "answer = 42" in text
    assert "fn helper" not in text and "fn main" not in text
    assert "compile_fail" not in html and "should_panic" not in html and "E0382`" not in text
    assert "error[E0382]: borrow of moved value: `s`" in text
    # the listing shows `println!` on its third visible line; rustc's message says so too
    assert "--&gt; src/main.rs:3:12" in html
    assert "index out of bounds: the len is 0 but the index is 0" in text
    assert "src/main.rs:2:" in text  # the panic location, in the listing's own numbering
    assert 'class="language-rust"' in html
    with zipfile.ZipFile(fixture_book.path("dist/mini-book.epub")) as epub:
        xhtml = epub.read("EPUB/02_second.xhtml").decode()
    assert "answer = 42" in xhtml and "fn helper" not in xhtml


def test_cache_makes_a_recheck_fast(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'println!("cached");'))
    assert fixture_book.check().code == 0
    run = fixture_book.check()
    assert run.code == 0
    assert re.search(r"examples +(\d+) Rust examples, 0 failing, \1 cached", run.err), run.err


def test_batch_falls_back_when_one_member_does_not_compile(fixture_book: FixtureBook) -> None:
    chapter_with(fixture_book, fence("rust", 'println!("one");'), fence("rust", MOVE_ERROR), fence("rust", 'println!("three");'))
    run = fixture_book.check()
    assert_clean_failure(run, "example 2: does not compile (rustc reported E0382)", "1 problem")


def test_shared_crate_gives_the_same_results_as_one_crate_per_example(tmp_path) -> None:
    from dataclasses import asdict
    from pathlib import Path

    from book.model import Chapter, CodeBlock
    from book.rustcheck import Example, RustChecker, batchable

    codes = ['# fn helper() -> u32 { 41 }\nprintln!("{}", helper() + 1);',
             'let v: Vec<i32> = Vec::new();\nlet _x = v[2];',
             'use std::fmt::Write;\nlet mut s = String::new();\nwrite!(s, "{}", 7).unwrap();\nprintln!("{s}");']
    modes = [(), ("should_panic",), ()]
    chapter = Chapter(path=Path("x.md"), rel="chapters/x.md", name="x.md", stem="x", key="x", kind="part", number=1,
                      label="Part 1", title="X", source="", headings=(), links=(), code_blocks=())
    examples = [Example(chapter, i + 1, CodeBlock(line=i * 10 + 1, end_line=i * 10 + 5, lang="rust", flags=flags,
                                                 code=code + "\n", indent=""))
                for i, (code, flags) in enumerate(zip(codes, modes))]
    assert all(batchable(e.block) for e in examples)
    checker = RustChecker(tmp_path / "a", "test")
    try:
        batched = checker._run_batch(examples)
        assert len(batched) == 3
        for example in examples:
            alone = checker._compile_and_run(example.block)
            strip = lambda r: {k: v for k, v in asdict(r).items() if k not in ("seconds", "cached")}  # noqa: E731
            assert strip(batched[example]) == strip(alone)
    finally:
        checker.close()
    assert "panicked at src/main.rs:2:" in batched[examples[1]].stderr
