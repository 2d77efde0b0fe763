"""Compile and run every Rust example with the installed stable rustc.

Each ```rust block becomes a program (hidden `# ` lines included, wrapped in
`fn main` when it has none, as rustdoc does), compiled with edition 2024 in a
scratch `src/main.rs`, so what rustc and the program print reads exactly as it
would for a reader who runs the example with cargo. Results are cached by a
hash of the program, the rustc version, the flags and the limits, so an
unchanged book re-checks instantly; cold checks run in parallel on every core.

A chapter is code from whoever wrote it, so rustc and the program run confined
(book/sandbox.py): no network, no files of the machine or the project, a fixed
`/example` folder and environment, and limits on time, memory and output.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from book.controls import show_controls
from book.errors import BookError, Problem
from book.model import Book, Chapter, CodeBlock, is_hidden_line, unhide_line
from book.sandbox import ConfinedResult, Sandbox, SandboxError

EDITION = "2024"
RUSTC_FLAGS = ("--edition", EDITION, "-C", "debuginfo=0", "--crate-name", "example")
CACHE_VERSION = "5"  # bump when the result format, the program wrapping or the sandbox changes
MAIN_FN = re.compile(r"^\s*(pub\s+)?(async\s+)?fn\s+main\s*\(", re.M)
PROGRAM = "/example/example"  # where the compiled program is, inside the sandbox
LONG_RUNNING = "long_running"  # the annotation that raises a program's time limit


@dataclass(frozen=True)
class Limits:
    """What one rustc call or one program run may use (AUTHORING.md lists them)."""

    time: float  # seconds of wall time
    memory: int  # bytes of address space
    output: int  # bytes of stdout and stderr together

    def keywords(self) -> dict[str, float | int]:
        return {"time_limit": self.time, "memory_limit": self.memory, "output_limit": self.output}

    def describe(self, which: str) -> str:
        """`the 10 s time limit`, `the 512 MiB memory limit`, `the 64 KiB output limit`."""
        amount = f"{self.time:g} s" if which == "time" else _size(self.memory if which == "memory" else self.output)
        return f"the {amount} {which} limit"


def _size(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            return f"{size / (1 << shift):g} {unit}"
    return f"{size} bytes"


RUN_LIMITS = Limits(time=10, memory=512 << 20, output=64 << 10)
LONG_RUN_LIMITS = Limits(time=60, memory=512 << 20, output=64 << 10)
COMPILE_LIMITS = Limits(time=60, memory=4 << 30, output=16 << 20)  # the batch of all examples included


def run_limits(block: CodeBlock) -> Limits:
    return LONG_RUN_LIMITS if LONG_RUNNING in block.flags else RUN_LIMITS


@dataclass(frozen=True)
class Example:
    """One Rust listing, where it is, and the program the checker compiles."""

    chapter: Chapter
    index: int  # 1-based count of Rust listings in its chapter
    block: CodeBlock

    @property
    def where(self) -> str:
        return f"{self.chapter.rel}:{self.block.line}"


@dataclass
class Result:
    """What rustc and the program did. Stored as JSON in the cache."""

    compiled: bool
    error_codes: list[str] = field(default_factory=list)
    errors: str = ""  # rustc's rendered error diagnostics (no warnings), tidied
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""  # the program's stderr (a panic message), tidied
    second_stdout: str | None = None  # a second run, to catch output that varies
    timed_out: bool = False  # rustc (compiled False) or the program (compiled True) hit its time limit
    memory_exceeded: bool = False  # ... its memory limit
    output_exceeded: bool = False  # ... its output limit
    cached: bool = False
    seconds: float = 0.0  # wall time of this check (not cached)


@dataclass(frozen=True)
class Program:
    source: str
    line_map: tuple[int | None, ...]  # program line (1-based index) -> listing line, None if hidden/wrapper


def build_program(block: CodeBlock) -> Program:
    """The program rustc sees, with a map back to the lines the reader sees."""
    lines = block.code.splitlines()
    visible_number = 0
    body: list[tuple[str, int | None]] = []
    for line in lines:
        if is_hidden_line(line):
            body.append((unhide_line(line), None))
        else:
            visible_number += 1
            body.append((line, visible_number))
    compiled_text = "\n".join(text for text, _ in body)
    if MAIN_FN.search(compiled_text):
        program = body
    else:
        inner_attrs = [(t, n) for t, n in body if t.lstrip().startswith("#![")]
        rest = [(t, n) for t, n in body if not t.lstrip().startswith("#![")]
        program = inner_attrs + [("fn main() {", None)] + rest + [("}", None)]
    source = "\n".join(text for text, _ in program) + "\n"
    return Program(source=source, line_map=tuple(n for _, n in program))


def collect_examples(book: Book) -> list[Example]:
    examples = []
    for chapter in book.chapters:
        index = 0
        for block in chapter.code_blocks:
            if block.is_rust:
                index += 1
                examples.append(Example(chapter, index, block))
    return examples


class RustChecker:
    """Runs examples through rustc with a content-addressed cache, each command confined."""

    def __init__(self, cache_dir: Path, rustc_version: str, jobs: int | None = None):
        self.cache_dir = cache_dir / "examples"
        self.rustc_version = rustc_version
        self.jobs = jobs or os.cpu_count() or 2
        self._local = threading.local()  # each worker thread's compile sandbox
        self._open: list[tuple[Sandbox, tempfile.TemporaryDirectory[str]]] = []
        self._lock = threading.Lock()

    def run_all(self, examples: list[Example], progress: Callable[[int, int], None] | None = None) -> dict[Example, Result]:
        """Check all examples (ignored ones are skipped), cached, in parallel.

        Uncached programs that run are compiled together as one crate (one
        module per example, each file remapped to `src/main.rs` so messages
        read as they would for the reader): one rustc call instead of hundreds.
        The rest, and any batch that does not compile, go one by one. A result
        that hit the time limit is not cached: it may only mean a busy machine.
        """
        todo = [e for e in examples if e.block.mode != "ignore"]
        results: dict[Example, Result] = {}
        for example in todo:
            cached = self._lookup(example)
            if cached is not None:
                results[example] = cached
        fresh = [e for e in todo if e not in results]
        batch = [e for e in fresh if batchable(e.block)]
        single = [e for e in fresh if e not in batch]
        done = len(results)

        def finished(example: Example, result: Result) -> None:
            nonlocal done
            if not result.timed_out:
                self._store(example, result)
            results[example] = result
            done += 1
            if progress:
                progress(done, len(todo))

        try:
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                batch_job = pool.submit(self._run_batch, batch) if len(batch) > 1 else None
                if batch_job is None:
                    single += batch
                for example, result in zip(single, pool.map(self._timed_compile_and_run, single)):
                    finished(example, result)
                if batch_job is not None:
                    batched = batch_job.result()
                    for example, result in batched.items():
                        finished(example, result)
                    leftovers = [e for e in batch if e not in batched]  # the shared crate did not compile
                    for example, result in zip(leftovers, pool.map(self._timed_compile_and_run, leftovers)):
                        finished(example, result)
        except SandboxError as error:
            raise BookError([Problem("examples", None, f"cannot run the Rust examples confined: {error}")]) from None
        finally:
            self.close()
        return {e: results[e] for e in todo}

    def close(self) -> None:
        """End the compile sandboxes and remove their scratch folders."""
        with self._lock:
            opened, self._open = self._open, []
            self._local = threading.local()
        for sandbox, scratch in opened:
            sandbox.close()
            scratch.cleanup()

    def _compiler(self) -> Sandbox:
        """This thread's compile sandbox: its own scratch folder at /example, reused example after example."""
        sandbox = getattr(self._local, "compiler", None)
        if sandbox is None:
            scratch = tempfile.TemporaryDirectory(prefix="book-example-")
            sandbox = Sandbox(Path(scratch.name))
            with self._lock:
                self._open.append((sandbox, scratch))
            sandbox.__enter__()
            self._local.compiler = sandbox
        assert sandbox.workdir is not None
        for entry in sandbox.workdir.iterdir():  # what the last example left
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        (sandbox.workdir / "src").mkdir()
        return sandbox

    def _timed_compile_and_run(self, example: Example) -> Result:
        start = time.perf_counter()
        result = self._compile_and_run(example.block)
        result.seconds = time.perf_counter() - start
        return result

    def _run_batch(self, examples: list[Example]) -> dict[Example, Result]:
        """Compile runnable examples as one crate and run each; {} if the crate does not compile.

        Each example is a module file remapped to `exN/src/main.rs`; panic
        locations are tidied back to `src/main.rs`, as the reader sees them.
        The runs are shared out between `jobs` sandboxes that each show the
        program read-only, so no example can change it for the next one.
        """
        start = time.perf_counter()
        programs = [build_program(e.block) for e in examples]
        compiler = self._compiler()
        workdir = compiler.workdir
        assert workdir is not None
        remaps = []
        for number, program in enumerate(programs):
            runner = "\npub fn __run() -> impl std::process::Termination { main() }\n"
            (workdir / "src" / f"ex{number}.rs").write_text(program.source + runner, encoding="utf-8")
            # distinct names (rustc's source map would merge files remapped to one name); tidied after the run
            remaps.append(f"--remap-path-prefix=src/ex{number}.rs=ex{number}/src/main.rs")
        arms = "\n".join(f'        Some("{n}") => std::process::Termination::report(ex{n}::__run()),'
                         for n in range(len(programs)))
        modules = "\n".join(f'#[path = "ex{n}.rs"] mod ex{n};' for n in range(len(programs)))
        (workdir / "src" / "batch.rs").write_text(
            f"{modules}\nfn main() -> std::process::ExitCode {{\n    match std::env::args().nth(1).as_deref() {{\n"
            f"{arms}\n        _ => std::process::ExitCode::FAILURE,\n    }}\n}}\n", encoding="utf-8")
        compiled = compiler.run(["rustc", *RUSTC_FLAGS, "-A", "warnings", *remaps, "-o", "example", "src/batch.rs"],
                                **COMPILE_LIMITS.keywords())
        if compiled.exit_code != 0:
            return {}
        with tempfile.TemporaryDirectory(prefix="book-examples-") as tmp:
            binary = Path(tmp) / "example"
            shutil.move(workdir / "example", binary)
            share = (time.perf_counter() - start) / len(examples)
            numbered = list(enumerate(zip(examples, programs)))
            chunks = [numbered[i::self.jobs] for i in range(min(self.jobs, len(numbered)))]

            def run_chunk(chunk: list[tuple[int, tuple[Example, Program]]]) -> dict[Example, Result]:
                done = {}
                with Sandbox(files={"example": binary}) as sandbox:
                    for number, (example, program) in chunk:
                        run_start = time.perf_counter()
                        done[example] = _run_program(sandbox, example.block, program, str(number))
                        done[example].seconds = share + time.perf_counter() - run_start
                return done

            with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
                parts = list(pool.map(run_chunk, chunks))
        return {e: part[e] for e in examples for part in parts if e in part}

    def cache_key(self, block: CodeBlock) -> str:
        program = build_program(block)
        limits = [asdict(COMPILE_LIMITS), asdict(run_limits(block))]
        payload = json.dumps([CACHE_VERSION, self.rustc_version, RUSTC_FLAGS, limits, block.mode, program.source])
        return hashlib.sha256(payload.encode()).hexdigest()

    def _cache_file(self, example: Example) -> Path:
        key = self.cache_key(example.block)
        return self.cache_dir / key[:2] / f"{key}.json"

    def _lookup(self, example: Example) -> Result | None:
        cached = self._cache_file(example)
        if not cached.is_file():
            return None
        try:
            result = Result(**json.loads(cached.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            return None  # a damaged cache entry is simply recomputed
        result.cached = True
        return result

    def _store(self, example: Example, result: Result) -> None:
        cached = self._cache_file(example)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        stored = {k: v for k, v in asdict(result).items() if k not in ("cached", "seconds")}
        tmp.write_text(json.dumps(stored), encoding="utf-8")
        os.replace(tmp, cached)

    def _compile_and_run(self, block: CodeBlock) -> Result:
        program = build_program(block)
        compiler = self._compiler()
        workdir = compiler.workdir
        assert workdir is not None
        (workdir / "src" / "main.rs").write_text(program.source, encoding="utf-8")
        emit = ["--emit=metadata"] if block.mode == "compile_fail" else []
        compiled = compiler.run(["rustc", *RUSTC_FLAGS, "--error-format=json", *emit, "-o", "example", "src/main.rs"],
                                **COMPILE_LIMITS.keywords())
        if compiled.limit_exceeded:
            return Result(compiled=False, timed_out=compiled.timed_out, memory_exceeded=compiled.memory_exceeded,
                          output_exceeded=compiled.output_exceeded)
        codes, rendered = _read_diagnostics(_text(compiled.stderr), program)
        if compiled.exit_code != 0:
            return Result(compiled=False, error_codes=codes, errors=rendered)
        if block.mode in ("compile_fail", "no_run"):
            return Result(compiled=True)
        with Sandbox(files={"example": workdir / "example"}) as sandbox:
            return _run_program(sandbox, block, program)


BATCH_EXCLUDED = re.compile(r"global_allocator|no_mangle|export_name|link_section|env::args|#!\[(?!allow|warn|deny|forbid)"
                            r"|\bextern\s+crate\b|panic\s*=|set_hook|std::process::id")


BATCH_PATH = re.compile(r"\bex\d+/src/main\.rs")


def batchable(block: CodeBlock) -> bool:
    """Programs that behave the same as a module of a shared crate as they do alone."""
    return block.mode in ("run", "should_panic") and not BATCH_EXCLUDED.search(build_program(block).source)


def _run_program(sandbox: Sandbox, block: CodeBlock, program: Program, *args: str) -> Result:
    """Run the sandbox's program (twice for a plain `rust` listing that succeeds, to catch output that varies)."""
    limits = run_limits(block)
    first = _program_result(sandbox.run([PROGRAM, *args], **limits.keywords()), program)
    if block.mode == "run" and first.exit_code == 0 and not first.timed_out:
        first.second_stdout = _program_result(sandbox.run([PROGRAM, *args], **limits.keywords()), program).stdout
    return first


def _program_result(run: ConfinedResult, program: Program) -> Result:
    return Result(compiled=True, exit_code=None if run.timed_out else run.exit_code, stdout=_text(run.stdout),
                  stderr=remap_lines(tidy_panic(BATCH_PATH.sub("src/main.rs", _text(run.stderr))), program),
                  timed_out=run.timed_out, memory_exceeded=run.memory_exceeded, output_exceeded=run.output_exceeded)


def _text(output: bytes) -> str:
    return output.decode("utf-8", "replace")


def error_diagnostics(stderr: str) -> list[dict]:
    """rustc's error diagnostics from `--error-format=json` (warnings and the "aborting" summary dropped).

    Each gets `primary_line`: the line of its primary span, or None.
    """
    found = []
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        try:
            diagnostic = json.loads(line)
        except ValueError:
            continue
        if diagnostic.get("level") != "error" or diagnostic.get("message", "").startswith("aborting due to"):
            continue
        primary = next((span for span in diagnostic.get("spans", []) if span.get("is_primary")), None)
        diagnostic["primary_line"] = primary["line_start"] if primary else None
        found.append(diagnostic)
    return found


def _read_diagnostics(stderr: str, program: Program) -> tuple[list[str], str]:
    """Error codes and the rendered text of error diagnostics (warnings dropped)."""
    codes: list[str] = []
    rendered: list[str] = []
    for diagnostic in error_diagnostics(stderr):
        code = (diagnostic.get("code") or {}).get("code")
        if code:
            codes.append(code)
        rendered.append(remap_lines((diagnostic.get("rendered") or diagnostic.get("message", "")).rstrip("\n"), program))
    return codes, "\n\n".join(rendered)


THREAD_ID = re.compile(r"^(thread '[^']*') \(\d+\) panicked", re.M)


def tidy_panic(stderr: str) -> str:
    """Panic messages carry the OS thread id, which changes on every run: show it as `…`."""
    return THREAD_ID.sub(r"\1 (…) panicked", stderr)


GUTTER = re.compile(r"^(\s*)(\d+)( \|)", re.M)
LOCATION = re.compile(r"src/main\.rs:(\d+):(\d+)")


def remap_lines(text: str, program: Program) -> str:
    """Renumber `src/main.rs:L:C` and gutter numbers to the lines the reader sees."""
    def visible(number: int) -> int | None:
        return program.line_map[number - 1] if 0 < number <= len(program.line_map) else None

    def location(match: re.Match[str]) -> str:
        mapped = visible(int(match.group(1)))
        return f"src/main.rs:{mapped}:{match.group(2)}" if mapped else match.group(0)

    def gutter(match: re.Match[str]) -> str:
        original = match.group(2)
        mapped = visible(int(original))
        if mapped is None:
            return match.group(0)
        return f"{match.group(1)}{str(mapped).rjust(len(original))}{match.group(3)}"

    if all(n == i + 1 for i, n in enumerate(program.line_map)):
        return text
    return GUTTER.sub(gutter, LOCATION.sub(location, text))


def judge(example: Example, result: Result) -> list[Problem]:
    """Compare what happened with what the listing's annotation promised (control characters shown, not sent to the terminal)."""
    return [dataclasses.replace(p, detail=show_controls(p.detail)) for p in _judge(example, result)]


def _judge(example: Example, result: Result) -> list[Problem]:
    block = example.block
    prefix = f"example {example.index}"
    rel, line = example.chapter.rel, block.line
    exceeded = _limit_problem(example, result)
    if exceeded:
        return [exceeded]
    mode = block.mode
    if mode == "compile_fail":
        if result.compiled:
            return [Problem(rel, line, f"{prefix}: expected a compile error{_codes(block.error_codes)}, but it compiled")]
        expected = set(block.error_codes)
        if expected and not expected <= set(result.error_codes):
            reported = ", ".join(dict.fromkeys(result.error_codes)) or "an error without a code"
            return [Problem(rel, line, f"{prefix}: expected {', '.join(block.error_codes)}, rustc reported {reported}",
                            result.errors)]
        return []
    if not result.compiled:
        return [Problem(rel, line, f"{prefix}: does not compile (rustc reported {', '.join(dict.fromkeys(result.error_codes)) or 'an error'}); "
                                   "fix it, or mark it rust,compile_fail,EXXXX if that is the point", result.errors)]
    if mode == "no_run":
        return []
    if mode == "should_panic":
        if result.exit_code != 101 or "panicked at" not in result.stderr:
            return [Problem(rel, line, f"{prefix}: marked should_panic but did not panic (exit code {result.exit_code})",
                            result.stdout + result.stderr)]
    elif result.exit_code != 0:
        return [Problem(rel, line, f"{prefix}: the program failed with exit code {result.exit_code}; "
                                   "mark it rust,should_panic if it is meant to panic", result.stderr)]
    problems = []
    if mode == "run" and result.second_stdout is not None and result.second_stdout != result.stdout:
        problems.append(Problem(rel, line, f"{prefix}: prints different output on each run (threads, addresses, "
                                           "hash order or time?); readers must see stable output",
                                _diff(result.stdout, result.second_stdout, "first run", "second run")))
    if block.expected_output is not None and block.expected_output != result.stdout:
        problems.append(Problem(rel, block.output_lines[0] if block.output_lines else line,
                                f"{prefix}: the ```output block differs from what the program prints",
                                _diff(block.expected_output, result.stdout, "chapter", "real output")))
    return problems


def _limit_problem(example: Example, result: Result) -> Problem | None:
    """The limit rustc or the program hit, with what the author can do about it."""
    which = "time" if result.timed_out else "memory" if result.memory_exceeded else "output" if result.output_exceeded else None
    if which is None:
        return None
    where = f"example {example.index}: " + ("" if result.compiled else "rustc ")
    if not result.compiled:
        advice = {"time": "a compile-time evaluation or macro expansion that does not end? no annotation can help; "
                          "simplify the listing, or mark it rust,ignore with a comment saying why",
                  "memory": "simplify the listing, or mark it rust,ignore with a comment saying why",
                  "output": "the listing produces too many compiler messages; shorten it"}[which]
        return Problem(example.chapter.rel, example.block.line, f"{where}exceeded {COMPILE_LIMITS.describe(which)}; {advice}")
    limits = run_limits(example.block)
    advice = {"time": ("a listing that runs forever must be marked rust,no_run"
                       + ("" if limits is LONG_RUN_LIMITS else
                          f", and one that legitimately runs longer rust,{LONG_RUNNING} "
                          f"({LONG_RUN_LIMITS.describe('time')})")),
              "memory": "use less memory, or mark the listing rust,no_run if it exhausts memory on purpose",
              "output": "print less (a printed page holds about 50 lines), or mark it rust,no_run"}[which]
    detail = result.stderr[-2000:] if which == "memory" else ""
    return Problem(example.chapter.rel, example.block.line, f"{where}exceeded {limits.describe(which)}; {advice}", detail)


def _codes(codes: Iterable[str]) -> str:
    codes = list(codes)
    return f" ({', '.join(codes)})" if codes else ""


def _diff(a: str, b: str, a_name: str, b_name: str) -> str:
    return "".join(difflib.unified_diff(a.splitlines(keepends=True), b.splitlines(keepends=True), a_name, b_name)) \
        or "(they differ only in trailing newlines)"
