#!/usr/bin/env python3
"""`make bench`: where the time goes, as medians and ratios measured side by side.

Machines are shared and noisy, so comparisons are ratios of runs made in the
same session. Three sections:

  examples  cold and warm example checks, and the per-example median
  build     (`make bench BENCH=full`) cold full build against WeasyPrint alone
            on the same print HTML and against the naive pandoc peer, in
            interleaved rounds; a no-op rebuild; one chapter edited; a book
            three times as long, built in the same rounds as the normal one,
            with time per page and peak memory for both
  markup    (`make bench BENCH=full`) where WeasyPrint's time goes: the print
            HTML as built against the same without highlighting, with
            pandoc-style line anchors, and with target-counter() page refs.
            BENCH=build or BENCH=markup runs just one of the last two.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from book.highlight import CLASSES  # noqa: E402
from book.load import load_book  # noqa: E402
from book.rustcheck import RustChecker, collect_examples  # noqa: E402
from book.targets.pagerefs import SLOT  # noqa: E402

RUNS = 3
# The floor: WeasyPrint on the print HTML with the options the build uses (a tagged PDF, as issue 7 asks).
WEASYPRINT_ALONE = ("import sys, weasyprint; "
                    "weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], pdf_tags=bool(sys.argv[3]))")
MARKUP_RUNS = 2  # four renders of the whole book per round
PYTHON = sys.executable


def bench_examples() -> None:
    """Cold and warm checks of the book's examples, and what the learning layer adds, in the same rounds.

    The learning layer's checks are the programs of self-check questions
    (checked with the listings, in the same parallel batch) and the permission
    tables' probes. Each round checks, each in a fresh cache: the listings
    alone, then every example as `make check` does, then the tables; the
    layer's cost is the difference plus the tables, cold and warm.
    """
    from book.permissions import check_tables

    book = load_book(ROOT)
    examples = collect_examples(book)
    in_question = {(block.line, chapter.rel) for chapter in book.chapters for block in chapter.code_blocks
                   for div in chapter.divs if div.has("quiz") and div.line < block.line < div.end_line}
    listings = [e for e in examples if (e.block.line, e.chapter.rel) not in in_question]
    tables = [(chapter.rel, table) for chapter in book.chapters for table in chapter.tables]
    alone, colds, warms, tabled, tabled_warm, per_example = [], [], [], [], [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            RustChecker(Path(tmp), book.rustc_version).run_all(listings)
            alone.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as tmp:
            checker = RustChecker(Path(tmp), book.rustc_version)
            start = time.perf_counter()
            results = checker.run_all(examples)
            colds.append(time.perf_counter() - start)
            per_example.extend(r.seconds for r in results.values())
            start = time.perf_counter()
            check_tables(tables, Path(tmp), book.rustc_version)
            tabled.append(time.perf_counter() - start)
            start = time.perf_counter()
            checker.run_all(examples)
            warms.append(time.perf_counter() - start)
            start = time.perf_counter()
            check_tables(tables, Path(tmp), book.rustc_version)
            tabled_warm.append(time.perf_counter() - start)
    checked = len([e for e in examples if e.block.mode != "ignore"])
    cells = sum(len(t.rows) * len(t.places) for _, t in tables)
    base, full, table = statistics.median(alone), statistics.median(colds), statistics.median(tabled)
    print(f"examples checked                 {checked} ({len(examples) - len(listings)} in self-checks)")
    print(f"cold check (parallel)            median {full:7.2f} s  (runs: {', '.join(f'{c:.2f}' for c in colds)})")
    print(f"warm check (all cached)          median {statistics.median(warms):7.3f} s")
    print(f"per example, cold                median {statistics.median(per_example):7.3f} s")
    print(f"listings alone, cold             median {base:7.2f} s  (runs: {', '.join(f'{c:.2f}' for c in alone)})")
    print(f"permission tables, cold          median {table:7.2f} s  ({len(tables)} tables, {cells} cells)")
    print(f"learning layer, cold             {full - base + table:7.2f} s  "
          f"(+{(full - base + table) / base:.1%} on the listings' cold check)")
    print(f"learning layer, warm             median {statistics.median(tabled_warm):7.3f} s  (tables; the "
          "self-check programs are in the warm check above)")


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> float:
    return measured(command, env, cwd)[0]


def measured(command: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> tuple[float, float]:
    """Wall time in seconds, and the peak resident memory in MiB of the largest process the command ran."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)  # the child's usage includes the processes it waited for
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, command, stderr=stderr)
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(path).pages)


def build_command(project: Path, out: Path, *targets: str) -> list[str]:
    return [PYTHON, str(ROOT / "build.py"), "build", *targets, "--root", str(project), "--out", str(out), "-q"]


def build_env(cache: Path) -> dict[str, str]:
    """A cache of the bench's own (cold until the first build) and a fixed date."""
    return {"BOOK_CACHE_DIR": str(cache), "SOURCE_DATE_EPOCH": "1767225600"}


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
    """Cold builds, WeasyPrint alone, the naive peer and the book three times as long, interleaved round by round.

    The machine's speed drifts, so every comparison is a median of ratios
    taken within one round.
    """
    colds: list[float] = []
    peaks: list[float] = []
    weasys: list[float] = []
    peers: list[float] = []
    untagged: list[float] = []
    triples: list[float] = []
    triple_peaks: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        project = copy_project(scratch / "book")
        big = copy_project(scratch / "big", repeat=3)
        chapters = [str(project / "chapters" / name) for name in load_book(project).meta.chapters]
        pandoc = _pandoc()
        for run in range(RUNS):
            env = build_env(scratch / f"cache{run}")
            build = build_command(project, scratch / f"dist{run}")
            seconds, peak = measured(build, env)
            colds.append(seconds)
            peaks.append(peak)
            print_html = scratch / f"cache{run}" / "print" / "memory-management-in-rust.html"
            weasys.append(timed([PYTHON, "-c", WEASYPRINT_ALONE, str(print_html), str(scratch / "alone.pdf"), "tagged"]))
            untagged.append(timed([PYTHON, "-c", WEASYPRINT_ALONE, str(print_html), str(scratch / "alone.pdf"), ""]))
            peers.append(timed([pandoc, *chapters, "--pdf-engine", str(Path(PYTHON).parent / "weasyprint"), "-o",
                                str(scratch / "peer.pdf")]) + timed([pandoc, *chapters, "-o", str(scratch / "peer.epub")]))
            seconds, peak = measured(build_command(big, scratch / f"dist-big{run}"), build_env(scratch / f"cache-big{run}"))
            triples.append(seconds)
            triple_peaks.append(peak)
        pages = pdf_pages(scratch / "dist0" / "memory-management-in-rust.pdf")
        big_pages = pdf_pages(scratch / "dist-big0" / "memory-management-in-rust.pdf")
        noop = statistics.median(timed(build, env) for _ in range(RUNS))
        chapter = project / "chapters" / "07_memory_leaks.md"
        edits = []
        for run in range(RUNS):
            chapter.write_text(chapter.read_text(encoding="utf-8") + f"\nAn edited sentence, run {run}.\n", encoding="utf-8")
            edits.append(timed(build_command(project, scratch / f"dist{RUNS - 1}", "html", "epub"), env))
    cold, weasy, peer = (statistics.median(v) for v in (colds, weasys, peers))
    ratio = statistics.median(c / w for c, w in zip(colds, weasys))
    peer_ratio = statistics.median(c / p for c, p in zip(colds, peers))
    untagged_ratio = statistics.median(c / w for c, w in zip(colds, untagged))
    triple_ratio = statistics.median(t / c for t, c in zip(triples, colds))
    print(f"cold full build (html, epub, pdf, handouts)  median {cold:6.1f} s  (runs: {_runs(colds)})")
    print(f"WeasyPrint alone on the same print HTML      median {weasy:6.1f} s  ratio {ratio:4.2f}x (target <= 1.3x)")
    print(f"  the same without pdf_tags (not the book)   median {statistics.median(untagged):6.1f} s  ratio "
          f"{untagged_ratio:4.2f}x")
    print(f"naive peer (pandoc -> weasyprint, -> epub)   median {peer:6.1f} s  ratio {peer_ratio:4.2f}x (target <= 1.0x)")
    print(f"no-op rebuild                                median {noop:6.2f} s  (target < 0.5 s)")
    print(f"one chapter edited: html + epub              median {statistics.median(edits):6.2f} s  (target < 2 s)")
    print(f"peak memory of one build process             median {statistics.median(peaks):6.0f} MiB (target < 1024)")
    print(f"{'cold full build, paired in each round:':<45}{'median':>8} {'pages':>6} {'s/page':>7} {'peak MiB':>9}")
    for name, times, book_pages, peak in (("  the book", colds, pages, peaks),
                                          ("  the book three times as long", triples, big_pages, triple_peaks)):
        median = statistics.median(times)
        print(f"{name:<45}{median:6.1f} s {book_pages:6d} {median / book_pages:7.3f} {statistics.median(peak):9.0f}")
    print(f"  ratio, three times as long / the book      median {triple_ratio:4.2f}x for {big_pages / pages:4.2f}x the pages "
          f"(runs: {', '.join(f'{t / c:.2f}' for t, c in zip(triples, colds))}; target <= 3.3x)")


def bench_markup() -> None:
    """Where WeasyPrint's time goes: the book's print HTML against variants of it, rendered in paired rounds.

    Variants: no highlighting spans; pandoc-style code lines (a span with an
    id and an empty link on every line, as pandoc's highlighter writes them);
    and page references through CSS target-counter() instead of slots filled
    after layout (book/targets/pagerefs.py).
    """
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        project = copy_project(scratch / "book")
        timed(build_command(project, scratch / "dist", "pdf"), build_env(scratch / "cache"))
        built = (scratch / "cache" / "print" / "memory-management-in-rust.html").read_text(encoding="utf-8")
        classes = "|".join(sorted({css_class for _, css_class in CLASSES if css_class}))
        spans = re.compile(rf'<span class="(?:{classes})">(.*?)</span>', re.S)
        variants = {
            "as built": built,
            "without highlighting spans": spans.sub(r"\1", built),
            "pandoc-style line anchors added": _pandoc_line_anchors(built),
            "page refs via target-counter()": _target_counter_refs(built),
        }
        files = {}
        for number, (name, text) in enumerate(variants.items()):
            files[name] = scratch / "cache" / "print" / f"variant{number}.html"  # beside the original: same base URL
            files[name].write_text(text, encoding="utf-8")
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(MARKUP_RUNS):
            for name, path in files.items():
                times[name].append(timed([PYTHON, "-c", WEASYPRINT_ALONE, str(path), str(scratch / "v.pdf"), "tagged"]))
    base = times["as built"]
    for name, values in times.items():
        ratio = statistics.median(v / b for v, b in zip(values, base))
        print(f"WeasyPrint, {name:<33} median {statistics.median(values):6.1f} s  {ratio:4.2f}x as built")


def _pandoc_line_anchors(html: str) -> str:
    """Every code line wrapped as pandoc's highlighter does: <span id=..><a href=.. aria-hidden></a>line</span>."""
    counter = iter(range(1, 1_000_000))

    def lines(match: re.Match[str]) -> str:
        body = "\n".join(f'<span id="cb-{n}"><a href="#cb-{n}" aria-hidden="true" tabindex="-1"></a>{line}</span>'
                         for n, line in zip(counter, match.group(2).split("\n")))
        return match.group(1) + body + match.group(3)
    return re.sub(r'(<pre class="code"[^>]*><code[^>]*>)(.*?)(</code></pre>)', lines, html, flags=re.S)


def _target_counter_refs(html: str) -> str:
    """Page numbers by CSS target-counter(), the way the book printed them before slots."""
    html = SLOT.sub(lambda slot: f'<a class="tc" href="#{slot[1]}"></a>{slot[2].lstrip("0")}', html)
    return html.replace("</head>", "<style>a.tc::after { content: target-counter(attr(href), page); }</style></head>")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _pandoc() -> str:
    import pypandoc
    return pypandoc.get_pandoc_path()


def main() -> int:
    bench_examples()
    if os.environ.get("BENCH") in ("full", "build"):
        bench_build()
    if os.environ.get("BENCH") in ("full", "markup"):
        bench_markup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
