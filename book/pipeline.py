"""The build as a short list of named steps: gather, check, convert, render.

Gather first, check second, write last: nothing in the output folder is
touched until every source problem has been found and reported.
"""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from book.bookindex import gather as gather_index
from book.boxes import check_boxes
from book.convert import convert_book
from book.exercises import check_exercises
from book.errors import BookError, Problem, Problems
from book.fingerprint import OutputManifest, fingerprint, sources_fingerprint
from book.outputs import Staging
from book.links import check_source_links
from book.load import build_date, check_introduction_list, load_book, rustc_version
from book.model import Book, PermissionTable, styles_dir_for
from book.permissions import check_tables as check_permission_tables
from book.rustcheck import Result, RustChecker, collect_examples, judge
from book.stats import describe
from book.worksheets import with_worksheets
from book.targets import RenderOptions

TARGETS = ("html", "epub", "pdf", "handouts")


@dataclass
class Reporter:
    """Prints one line per step with its time; quiet and verbose levels."""

    verbosity: int = 1
    stream: object = field(default_factory=lambda: sys.stderr)

    def line(self, step: str, detail: str, seconds: float | None = None, level: int = 1) -> None:
        if self.verbosity < level:
            return
        timing = f"{seconds:6.1f} s" if seconds is not None else ""
        print(f"{step:<9}{detail:<56}{timing}".rstrip(), file=self.stream, flush=True)

    @contextmanager
    def step(self, step: str, detail: str = "") -> Iterator[dict[str, str]]:
        start = time.perf_counter()
        info = {"detail": detail}
        yield info
        self.line(step, info["detail"], time.perf_counter() - start)


def cache_dir_for(root: Path) -> Path:
    """All caches live under one git-ignored folder, safe to delete (BOOK_CACHE_DIR overrides)."""
    override = os.environ.get("BOOK_CACHE_DIR")
    return Path(override) if override else root / ".cache"


def check_examples(book: Book, reporter: Reporter, problems: Problems) -> dict[str, dict[int, Result]]:
    """Compile and run every Rust example; return results by chapter and line."""
    examples = collect_examples(book)
    checker = RustChecker(cache_dir_for(book.root), book.rustc_version)
    with reporter.step("examples") as info:
        def progress(done: int, total: int) -> None:
            if reporter.verbosity >= 1 and sys.stderr.isatty():
                print(f"\rexamples {done}/{total}", end="", file=sys.stderr, flush=True)
        results = checker.run_all(examples, progress)
        if reporter.verbosity >= 1 and sys.stderr.isatty():
            print("\r", end="", file=sys.stderr)
        failures = [p for example, result in results.items() for p in judge(example, result)]
        problems.extend(failures)
        cached = sum(1 for r in results.values() if r.cached)
        skipped = len(examples) - len(results)
        info["detail"] = (f"{len(examples)} Rust examples, {len(failures)} failing, {cached} cached"
                          + (f", {skipped} ignored" if skipped else ""))
    by_chapter: dict[str, dict[int, Result]] = defaultdict(dict)
    for example, result in results.items():
        by_chapter[example.chapter.rel][example.block.line] = result
    return by_chapter


def check_tables(book: Book, reporter: Reporter, problems: Problems) -> dict[tuple[str, int], PermissionTable]:
    """Every permission table, cell by cell, against rustc probes."""
    tables = [(chapter.rel, table) for chapter in book.chapters for table in chapter.tables]
    with reporter.step("tables") as info:
        checked, table_problems = check_permission_tables(tables, cache_dir_for(book.root), book.rustc_version)
        problems.extend(table_problems)
        cells = sum(len(t.rows) * len(t.places) for _, t in tables)
        info["detail"] = f"{len(tables)} permission tables, {cells} cells, {len(table_problems)} wrong"
    return checked


def prepare(root: Path, reporter: Reporter) -> Book:
    """Load, check examples and tables, convert and check links; raise BookError on any problem."""
    problems = Problems()
    with reporter.step("load") as info:
        book = load_book(root)
        info["detail"] = f"{len(book.chapters)} chapters, {sum(len(c.source.split()) for c in book.chapters):,} words"
    results = check_examples(book, reporter, problems)
    tables = check_tables(book, reporter, problems)
    for chapter in book.chapters:  # reported with the examples' problems, so an author fixes them in one go
        problems.extend(check_boxes(chapter) + check_exercises(chapter))
    with reporter.step("convert") as info:
        book, conversion_problems = convert_book(book, results, cache_dir_for(root), tables=tables)
        problems.extend(conversion_problems)
        book, worksheet_problems = with_worksheets(book)
        problems.extend(worksheet_problems)
        info["detail"] = f"{len(book.chapters)} chapters with pandoc"
    with reporter.step("links") as info:
        link_problems = check_source_links(book)
        problems.extend(link_problems + check_introduction_list(book))
        info["detail"] = f"{sum(len(c.links) for c in book.chapters)} links and figures, {len(link_problems)} broken"
    if not problems:  # the index reads every chapter's anchors: only once they are all there
        with reporter.step("index") as info:
            book, index_problems = gather_index(book)
            problems.extend(index_problems)
            info["detail"] = (f"{len(book.index.terms)} terms, {len(book.index.codes)} error codes, "
                              f"{sum(len(e.locators) for e in book.index.entries)} places")
    for chapter in book.parts:
        reporter.line("stats", describe(chapter), level=2)
    problems.raise_if_any()
    return book


def build(root: Path, targets: tuple[str, ...], out_dir: Path, paper: str, reporter: Reporter) -> dict[str, Path]:
    """Build the requested targets into `out_dir`; returns what was written.

    Every output is rendered into a staging folder and moved into `out_dir`
    only when all of them succeeded: a refusal found while rendering, an
    error or Ctrl-C leaves the last good outputs exactly as they were.
    """
    start = time.perf_counter()
    manifest = OutputManifest(cache_dir_for(root))
    build_key = f"build:{out_dir.resolve()}:{','.join(sorted(targets))}:{paper}"
    sources = sources_fingerprint(root.resolve(), styles_dir_for(root), build_key, build_date(root), rustc_version())
    previous_outputs = [Path(p) for p in manifest.entries.get(build_key + ":outputs", "").split("\n") if p]
    if manifest.entries.get(build_key) == sources and previous_outputs and all(p.exists() for p in previous_outputs):
        reporter.line("done", "nothing changed since the last build; nothing re-rendered", time.perf_counter() - start)
        return {}
    print_targets = tuple(t for t in ("pdf", "handouts") if t in targets)
    staging = Staging(out_dir)
    try:
        with _print_pool(print_targets) as pool:
            book = prepare(root, reporter)
            run = _Run(book, RenderOptions(out_dir=staging.path, cache_dir=cache_dir_for(root), paper=paper),
                       staging, manifest, reporter)
            printing = _start_print(run, print_targets, pool)
            # The EPUB's page list comes from the A4 book's layout: if this build lays it out, the EPUB
            # waits for it rather than laying the book out a second time.
            epub_waits = "epub" in targets and _lays_out_page_list(run, printing)
            for target in ("html", "epub"):  # on the main process while the PDFs render
                if target in targets and not (target == "epub" and epub_waits):
                    _render_fast(run, target)
            if printing is not None:
                _finish_print(run, printing, after_book_pdf=(lambda: _render_fast(run, "epub")) if epub_waits else None)
        staging.commit(list(run.staged))
        for recorded, print_ in run.staged.values():
            manifest.entries[str(staging.final(recorded).resolve())] = print_
    finally:
        staging.discard()
    manifest.entries[build_key + ":outputs"] = "\n".join(str(p) for p in run.written.values())
    manifest.entries[build_key] = sources
    manifest.save()
    reporter.line("done", f"{', '.join(run.written)} in {_short(out_dir)}", time.perf_counter() - start)
    return run.written


@dataclass
class _Run:
    """One build's rendering: where it stages, what it has rendered (with fingerprints) and what is current."""

    book: Book
    options: RenderOptions  # out_dir is the staging folder
    staging: Staging
    manifest: OutputManifest
    reporter: Reporter
    staged: dict[Path, tuple[Path, str]] = field(default_factory=dict)  # what to move -> (file to record, fingerprint)
    written: dict[str, Path] = field(default_factory=dict)  # target -> final output

    def is_fresh(self, staged: Path, print_: str) -> bool:
        """The output in the real output folder was rendered from the same inputs."""
        return self.manifest.is_fresh(self.staging.final(staged), print_)


@contextmanager
def _print_pool(print_targets: tuple[str, ...]) -> Iterator[ProcessPoolExecutor | None]:
    """One worker process per core, started before the examples are checked.

    Each worker imports WeasyPrint (about a second) while rustc runs, so the
    PDFs start rendering as soon as the chapters are converted. If the build
    fails or is interrupted, the workers are stopped at once rather than left
    to finish PDFs nobody will use.
    """
    if not print_targets:
        yield None
        return
    workers = os.cpu_count() or 2
    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        for _ in range(workers):
            pool.submit(_import_weasyprint)  # a worker is started per submission while none is idle
        yield pool
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way to stop a running job
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _import_weasyprint() -> None:
    import weasyprint  # noqa: F401


def _render_fast(run: _Run, target: str) -> None:
    from book.targets import epub, html, pagelist

    options = run.options
    staged = options.out_dir / "html" / html.SINGLE_PAGE if target == "html" else options.out_dir / epub.epub_name(run.book)
    print_ = fingerprint(run.book, target, options.paper)
    run.written[target] = run.staging.final(staged)
    if run.is_fresh(staged, print_):
        run.reporter.line(target, f"{_short(run.written[target])}  up to date")
        return
    if target == "epub":
        with run.reporter.step("pages") as info:
            pages, laid_out = pagelist.print_pages(run.book, options.cache_dir)
            info["detail"] = (f"EPUB page list: {len(pages.labels)} A4 pages, "
                              + ("book laid out (no cached layout of these sources)" if laid_out
                                 else "from the cached print layout"))
    with run.reporter.step(target) as info:
        path = html.render(run.book, options) if target == "html" else epub.render(run.book, options, pages)
        info["detail"] = f"{_short(run.staging.final(path))}  {path.stat().st_size / 1024:,.0f} KiB"
    run.staged[path.parent if target == "html" else path] = (path, print_)


def _lays_out_page_list(run: _Run, printing: _Printing | None) -> bool:
    """Whether this build renders the A4 book PDF, whose layout gives the EPUB's page list."""
    from book.targets import pagelist

    return (printing is not None and run.options.paper == pagelist.PAPER
            and ("pdf", "") in printing.futures.values())


@dataclass
class _Printing:
    """PDF jobs under way in the pool."""

    futures: dict[Future, tuple[str, str]]
    prints: dict[tuple[str, str], str]
    fresh_handouts: int
    started: float


def _start_print(run: _Run, targets: tuple[str, ...], pool: ProcessPoolExecutor | None) -> _Printing | None:
    """Submit the book PDF and the handouts that are out of date; the book PDF, the longest job, first.

    The handouts share the other core, so asking for them does not make the
    book PDF later. Up-to-date outputs are reported and counted as written.
    """
    if not targets or pool is None:
        return None
    from book.targets import handouts, pdf

    book, options = run.book, run.options
    jobs: list[tuple[str, str]] = []
    prints: dict[tuple[str, str], str] = {}
    fresh_handouts = 0
    if "pdf" in targets:
        staged = options.out_dir / pdf.pdf_name(book)
        prints["pdf", ""] = fingerprint(book, "pdf", options.paper)
        run.written["pdf"] = run.staging.final(staged)
        if run.is_fresh(staged, prints["pdf", ""]):
            run.reporter.line("pdf", f"{_short(run.written['pdf'])}  up to date")
        else:
            jobs.append(("pdf", ""))
    if "handouts" in targets:
        folder = handouts.handout_dir(options)
        run.written["handouts"] = run.staging.final(folder)
        for chapter in handouts.handout_chapters(book):
            prints["handouts", chapter.key] = fingerprint(book, "handout", options.paper, (chapter,))
            if run.is_fresh(folder / chapter.handout_name, prints["handouts", chapter.key]):
                fresh_handouts += 1
            else:
                jobs.append(("handouts", chapter.key))
        solutions = tuple(c for c in book.chapters if c.kind == "appendix")
        for sheet in book.worksheets:  # each part's worksheet and teacher's key, beside its handout
            part = next(c for c in book.chapters if c.key == sheet.key)
            for kind, name, shows in (("worksheet", sheet.sheet_name, (part,)),
                                      ("teachers-key", sheet.answers_name, (part, *solutions))):
                prints[kind, sheet.key] = fingerprint(book, kind, options.paper, shows)
                if run.is_fresh(folder / name, prints[kind, sheet.key]):
                    fresh_handouts += 1
                else:
                    jobs.append((kind, sheet.key))
        if fresh_handouts and not any(kind != "pdf" for kind, _ in jobs):
            run.reporter.line("handouts", f"{_short(run.written['handouts'])}/  {fresh_handouts} PDFs up to date")
    if not jobs:
        return None
    futures = {pool.submit(_print_job, kind, key, book, options): (kind, key) for kind, key in jobs}
    return _Printing(futures, prints, fresh_handouts, time.perf_counter())


def _finish_print(run: _Run, printing: _Printing, after_book_pdf: Callable[[], None] | None = None) -> None:
    """Wait for the PDF jobs and report each; raise BookError with every problem they found.

    `after_book_pdf` runs on this process as soon as the book PDF is done (the EPUB, whose page list
    its layout gives), while the handouts go on rendering.
    """
    handout_pages, handout_count, handouts_done = 0, 0, printing.started
    problems: list[Problem] = []
    for future in as_completed(printing.futures):
        kind, key = printing.futures[future]
        try:
            path, pages, seconds = future.result()
        except BookError as error:
            problems.extend(error.problems)
            continue
        run.staged[path] = (path, printing.prints[kind, key])
        if kind == "pdf":
            run.reporter.line("pdf", f"{_short(run.staging.final(path))}  {pages} pages", seconds)
            if after_book_pdf is not None:
                after_book_pdf()
        else:
            handout_pages += pages
            handout_count += 1
            handouts_done = time.perf_counter()
            run.reporter.line("handout", f"{_short(run.staging.final(path))}  {pages} pages", seconds, level=2)
    if problems:
        raise BookError(problems)
    if handout_count:
        fresh = f", {printing.fresh_handouts} up to date" if printing.fresh_handouts else ""
        run.reporter.line("handouts", f"{_short(run.written['handouts'])}/  {handout_count} PDFs, {handout_pages} pages{fresh}",
                          handouts_done - printing.started)


def _print_job(kind: str, key: str, book: Book, options: RenderOptions) -> tuple[Path, int, float]:
    from book.targets import handouts, pdf, worksheets

    start = time.perf_counter()
    folder = handouts.handout_dir(options)
    if kind == "pdf":
        path, pages = pdf.render(book, options)
    elif kind == "worksheet":
        path, pages = worksheets.render_sheet(book, key, options.paper, folder, options.cache_dir)
    elif kind == "teachers-key":
        path, pages = worksheets.render_key(book, key, options.paper, folder, options.cache_dir)
    else:
        path, pages = handouts.render_one(book, key, options.paper, folder, options.cache_dir)
    return path, pages, time.perf_counter() - start


def _short(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_only(root: Path, reporter: Reporter) -> None:
    """`make check`: examples and links, no outputs."""
    prepare(root, reporter)
