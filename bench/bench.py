#!/usr/bin/env python3
"""`make bench`: where the time goes, as medians and ratios measured side by side.

Machines are shared and noisy, so comparisons are ratios of runs made in the
same session. Two sections:

  examples  cold and warm example checks, and the per-example median
  build     (`make bench BENCH=full`) cold full build against WeasyPrint alone
            on the same print HTML and against the naive pandoc peer; a no-op
            rebuild; one chapter edited; peak memory; a book three times as long
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from book.load import load_book  # noqa: E402
from book.rustcheck import RustChecker, collect_examples  # noqa: E402

RUNS = 3
PYTHON = sys.executable


def bench_examples() -> None:
    book = load_book(ROOT)
    examples = collect_examples(book)
    colds, warms, per_example = [], [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            checker = RustChecker(Path(tmp), book.rustc_version)
            start = time.perf_counter()
            results = checker.run_all(examples)
            colds.append(time.perf_counter() - start)
            per_example.extend(r.seconds for r in results.values())
            start = time.perf_counter()
            checker.run_all(examples)
            warms.append(time.perf_counter() - start)
    checked = len([e for e in examples if e.block.mode != "ignore"])
    print(f"examples checked                 {checked}")
    print(f"cold check (parallel)            median {statistics.median(colds):7.2f} s  (runs: {', '.join(f'{c:.2f}' for c in colds)})")
    print(f"warm check (all cached)          median {statistics.median(warms):7.3f} s")
    print(f"per example, cold                median {statistics.median(per_example):7.3f} s")


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, check=True, capture_output=True)
    return time.perf_counter() - start


def copy_project(target: Path, repeat: int = 1) -> Path:
    """The project's sources in a scratch folder; with repeat > 1, every part's body repeated."""
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(".venv", "node_modules", "dist", ".cache", ".git"))
    if repeat > 1:
        for path in (target / "chapters").glob("[0-9][0-9]_*.md"):
            text = path.read_text(encoding="utf-8")
            head, _, body = text.partition("\n")
            exercises = body.find("\n## Exercises")
            main = body[:exercises] if exercises >= 0 else body
            path.write_text(head + "\n" + main * repeat + body[len(main):], encoding="utf-8")
    return target


def bench_build() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        project = copy_project(scratch / "book")
        env = {"BOOK_CACHE_DIR": str(scratch / "cache"), "SOURCE_DATE_EPOCH": "1767225600"}
        build = [PYTHON, str(ROOT / "build.py"), "build", "--root", str(project), "--out", str(scratch / "dist"), "-q"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        cold = timed(build, env)
        peak_mib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        print_html = scratch / "cache" / "print" / "memory-management-in-rust.html"
        weasy = timed([PYTHON, "-c", "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])",
                       str(print_html), str(scratch / "alone.pdf")])
        chapters = [str(project / "chapters" / name) for name in load_book(project).meta.chapters]
        pandoc = _pandoc()
        peer = timed([pandoc, *chapters, "--pdf-engine", str(Path(PYTHON).parent / "weasyprint"), "-o", str(scratch / "peer.pdf")]) + \
            timed([pandoc, *chapters, "-o", str(scratch / "peer.epub")])
        noop = statistics.median(timed(build, env) for _ in range(RUNS))
        chapter = project / "chapters" / "07_memory_leaks.md"
        edits = []
        for run in range(RUNS):
            chapter.write_text(chapter.read_text(encoding="utf-8") + f"\nAn edited sentence, run {run}.\n", encoding="utf-8")
            edits.append(timed([*build[:3], "html", "epub", *build[3:]], env))
        big = copy_project(scratch / "big", repeat=3)
        big_env = {"BOOK_CACHE_DIR": str(scratch / "cache-big"), "SOURCE_DATE_EPOCH": "1767225600"}
        triple = timed([PYTHON, str(ROOT / "build.py"), "build", "--root", str(big), "--out", str(scratch / "dist-big"), "-q"],
                       big_env)
    print(f"cold full build (html, epub, pdf, handouts)  {cold:7.1f} s")
    print(f"WeasyPrint alone on the same print HTML      {weasy:7.1f} s   ratio {cold / weasy:5.2f}x (target <= 1.3x)")
    print(f"naive peer (pandoc -> weasyprint, -> epub)   {peer:7.1f} s   ratio {cold / peer:5.2f}x (target <= 1.0x)")
    print(f"no-op rebuild                                median {noop:5.2f} s (target < 0.5 s)")
    print(f"one chapter edited: html + epub              median {statistics.median(edits):5.2f} s (target < 2 s)")
    print(f"peak memory of one build process             {peak_mib:7.0f} MiB (target < 1024)")
    print(f"book three times as long, cold               {triple:7.1f} s   ratio {triple / cold:5.2f}x (target <= 3.3x)")


def _pandoc() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


def main() -> int:
    bench_examples()
    if os.environ.get("BENCH") == "full":
        bench_build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
