"""Permission tables: parsed from the chapter, every cell checked by rustc.

Brown's model says what each place (`v`, `s.name`, `*r`) may do after each
line of a program: R read it or borrow it shared, W write it or borrow it
mutably, O move it or drop it; a variable that is not used again has no
permissions left. An author writes the table; nothing in it is taken on
trust. For every row and place the program is compiled with a probe inserted
right after that row's line (`let _probe = &PLACE;`, `&mut PLACE`, a move of
PLACE): a probe rustc rejects on its own line means the permission is absent.
Whether a variable is used again is asked by shadowing it there with an
uninitialised binding of a fresh type: any later use is then an error. A
`needs W` cell is checked against the line rustc points to: the permission
must be missing just before that line exactly when rustc rejects the line.

All probes are modules of one crate: every table the cache does not know is
checked by one `rustc --emit=metadata` run; results are cached per table by
content and rustc version.
Run-time tables (`RefCell`) are checked by running the program with
`try_borrow()` / `try_borrow_mut()` reports inserted after each row.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from book.errors import Problem
from book.model import PERMISSIONS, CodeBlock, PermissionCell, PermissionRow, PermissionTable, SourceDiv
from book.rustcheck import COMPILE_LIMITS, EDITION, Program, build_program, error_diagnostics, run_limits
from book.sandbox import Sandbox, run_confined

CACHE_VERSION = "2"
CELL_SPLIT = re.compile(r"(?<!\\)\|")
EMPTY_CELLS = {"", "-", "–", "—"}
PLACE = re.compile(r"^[*&(]*\s*(?P<root>[A-Za-z_][A-Za-z0-9_]*)")
PROBE_MARK = "\u0001probe"


# ---- parsing ----------------------------------------------------------------------------------

def parse_tables(rel: str, source: str, code_blocks: tuple[CodeBlock, ...],
                 divs: tuple[SourceDiv, ...]) -> tuple[list[PermissionTable], list[Problem]]:
    """Every `permissions` div of a chapter, bound to the nearest Rust listing before it."""
    lines = source.split("\n")
    tables, problems = [], []
    for div in divs:
        if not div.has("permissions"):
            continue
        listing = next((b for b in reversed(code_blocks) if b.is_rust and b.end_line < div.line), None)
        if listing is None:
            problems.append(Problem(rel, div.line, "a permissions table describes the Rust listing before it, "
                                                   "and there is none"))
            continue
        table, found = _parse_table(rel, lines, div, listing)
        problems.extend(found)
        if table is not None:
            tables.append(table)
    return tables, problems


def _cells(line: str) -> list[str]:
    text = line.strip()
    if text.startswith("|"):
        text = text[1:]
    if text.endswith("|") and not text.endswith("\\|"):
        text = text[:-1]
    return [cell.strip().replace("\\|", "|") for cell in CELL_SPLIT.split(text)]


def _code(cell: str) -> str | None:
    match = re.fullmatch(r"(`+)\s?(.*?)\s?\1", cell)
    return match.group(2) if match else None


def _parse_table(rel: str, lines: list[str], div: SourceDiv, listing: CodeBlock) -> tuple[PermissionTable | None, list[Problem]]:
    body = [(number, lines[number - 1]) for number in range(div.line + 1, div.end_line) if lines[number - 1].strip()]
    problems: list[Problem] = []
    if len(body) < 3 or not all(text.lstrip().startswith("|") for _, text in body):
        return None, [Problem(rel, div.line, "a permissions table holds one pipe table: a header row "
                                             "(| After | `v` | ...), a |---| row, then one row per line of the listing")]
    header = _cells(body[0][1])
    if header[0].lower() not in ("after", "line", "after line"):
        problems.append(Problem(rel, body[0][0], f"the first column of a permissions table is headed 'After', not '{header[0]}'"))
    places = []
    for cell in header[1:]:
        place = _code(cell)
        if not place or not PLACE.match(place):
            problems.append(Problem(rel, body[0][0], f"column '{cell}' must name a place in backticks, such as `v`, `*r` or `s.name`"))
        places.append(place or cell)
    if not re.fullmatch(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?", body[1][1].strip()):
        problems.append(Problem(rel, body[1][0], "the second row of a permissions table must be the |---|---| separator"))
    visible = [line.strip() for line in listing.visible_code.split("\n")]
    rows = []
    for number, text in body[2:]:
        cells = _cells(text)
        code = _code(cells[0])
        if code is None:
            problems.append(Problem(rel, number, f"a row starts with a line of the listing in backticks, not '{cells[0]}'"))
            continue
        matches = [index + 1 for index, line in enumerate(visible) if line == code.strip()]
        if len(matches) != 1:
            where = "no line" if not matches else f"{len(matches)} lines"
            problems.append(Problem(rel, number, f"`{code}` matches {where} of the listing at line {listing.line}; "
                                                 "quote one visible line exactly"))
            continue
        if len(cells) - 1 != len(places):
            problems.append(Problem(rel, number, f"this row has {len(cells) - 1} cells for {len(places)} places"))
            continue
        parsed = []
        for cell in cells[1:]:
            value = _cell(cell)
            if value is None:
                problems.append(Problem(rel, number, f"cell '{cell}' is not a permission: write any of R, W, O in that "
                                                     "order (RWO, RO, R), leave it empty (or –), or write 'needs W'"))
                value = PermissionCell()
            parsed.append(value)
        rows.append(PermissionRow(line=number, code=code, listing_line=matches[0], cells=tuple(parsed)))
    if problems:
        return None, problems
    return PermissionTable(line=div.line, end_line=div.end_line, listing=listing, places=tuple(places), rows=tuple(rows),
                           runtime=div.has("runtime")), []


def _cell(text: str) -> PermissionCell | None:
    text = text.strip().strip("*")
    if text in EMPTY_CELLS:
        return PermissionCell()
    needs = re.fullmatch(r"needs\s+([RWO]{1,3})", text)
    if needs:
        return PermissionCell(needs=frozenset(needs.group(1)))
    if re.fullmatch(r"R?W?O?", text) and text:
        return PermissionCell(holds=frozenset(text))
    return None


# ---- checking ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One question to rustc: a statement inserted into the program at a line."""

    row: int  # index into table.rows
    place: int  # index into table.places
    what: str  # "R" | "W" | "O" | "live" | "before-R" ... (a `needs` cell asks before the line)
    after: int  # insert after this program line (0-based index)
    statement: str


def _root(place: str) -> str:
    match = PLACE.match(place)
    return match.group("root") if match else place


def _probes(table: PermissionTable, program: Program) -> list[Probe]:
    index_of = {number: i for i, number in enumerate(program.line_map) if number is not None}
    probes = []
    for r, row in enumerate(table.rows):
        at = index_of[row.listing_line]
        for p, (place, cell) in enumerate(zip(table.places, row.cells)):
            statements = {"R": f"let _probe = &({place});", "W": f"let _probe = &mut ({place});",
                          "O": f"let _probe = ({place});"}
            if cell.needs:
                for what in sorted(cell.needs):
                    probes.append(Probe(r, p, "before-" + what, at - 1, statements[what]))
                continue
            for what, statement in statements.items():
                probes.append(Probe(r, p, what, at, statement))
            probes.append(Probe(r, p, "live", at, f"let {_root(place)}: __Dead;"))
    return probes


def _with_probe(program: Program, probe: Probe | None) -> list[str]:
    lines = program.source.rstrip("\n").split("\n")
    if probe is None:
        return lines
    indent = re.match(r"\s*", lines[probe.after] if probe.after >= 0 else "").group(0)
    return lines[: probe.after + 1] + [indent + probe.statement] + lines[probe.after + 1:]


@dataclass
class TableCheck:
    """What rustc said about one table, cell by cell; cached as JSON."""

    holds: list[list[list[str]]]  # [row][place] -> permissions rustc granted (before liveness)
    live: list[list[bool]]  # [row][place] -> the place's variable is used after the row's line
    missing: list[list[list[str]]]  # [row][place] -> for needs cells: what the place lacked just before the line
    error_lines: list[int]  # visible listing lines on which rustc reports an error (the unprobed program)
    failure: str = ""  # a problem with the probing itself (a row that is not a whole statement, ...)


def check_tables(tables: list[tuple[str, PermissionTable]], cache_dir: Path, rustc_version: str,
                 jobs: int = 2) -> tuple[dict[tuple[str, int], PermissionTable], list[Problem]]:
    """Check every table; returns the tables with their `needs` cells resolved, and the disagreements.

    `tables` pairs each table with its chapter's path for messages. Tables
    not in the cache are probed together: the compile-time ones as one crate
    (one rustc run for the whole book), the run-time ones one program each.
    """
    results: dict[int, TableCheck] = {}
    fresh: list[int] = []
    for index, (_, table) in enumerate(tables):
        cached = _lookup(table, cache_dir, rustc_version)
        if cached is not None:
            results[index] = cached
        else:
            fresh.append(index)
    static = [i for i in fresh if not tables[i][1].runtime]
    runtime = [i for i in fresh if tables[i][1].runtime]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        running = {i: pool.submit(_run_runtime, tables[i][1]) for i in runtime}
        if static:
            for i, result in zip(static, _run_probe_batch([tables[i][1] for i in static])):
                results[i] = result
        for i, future in running.items():
            results[i] = future.result()
    for i in fresh:
        _store(tables[i][1], results[i], cache_dir, rustc_version)
    checked: dict[tuple[str, int], PermissionTable] = {}
    problems: list[Problem] = []
    for index, (rel, table) in enumerate(tables):
        verified, found = judge_table(rel, table, results[index])
        checked[rel, table.line] = verified
        problems.extend(found)
    return checked, problems


def _cache_key(table: PermissionTable, rustc_version: str) -> str:
    program = build_program(table.listing)
    payload = [CACHE_VERSION, rustc_version, EDITION, program.source, table.runtime, table.places,
               [(row.listing_line, [sorted(c.needs) for c in row.cells]) for row in table.rows]]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def _cache_path(table: PermissionTable, cache_dir: Path, rustc_version: str) -> Path:
    return cache_dir / "permissions" / f"{_cache_key(table, rustc_version)}.json"


def _lookup(table: PermissionTable, cache_dir: Path, rustc_version: str) -> TableCheck | None:
    path = _cache_path(table, cache_dir, rustc_version)
    if path.is_file():
        try:
            return TableCheck(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError):
            return None  # a damaged entry is simply recomputed
    return None


def _store(table: PermissionTable, result: TableCheck, cache_dir: Path, rustc_version: str) -> None:
    if result.failure:
        return  # a failure must show again on the next build
    path = _cache_path(table, cache_dir, rustc_version)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{id(result)}.tmp")
    tmp.write_text(json.dumps(result.__dict__), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class _Probing:
    """One table's variants inside a probe crate: where each starts, and what each asks."""

    program: Program
    probes: list[Probe]
    starts: list[int]  # 1-based crate line of each variant's first line; variant 0 is the program unprobed


def _add_table(crate: list[str], table: PermissionTable, name: str) -> _Probing:
    program = build_program(table.listing)
    probes = _probes(table, program)
    starts = []
    for number, probe in enumerate([None, *probes]):
        crate.append(f"mod {name}_{number} {{ #![allow(warnings)] struct __Dead;")
        starts.append(len(crate) + 1)
        crate.extend(line for line in _with_probe(program, probe) if not line.lstrip().startswith("#!["))
        crate.append("}")
    return _Probing(program, probes, starts)


def _compile_probes(crate: list[str]) -> list[dict] | str:
    """rustc's errors for a probe crate, or why it could not judge the crate at all.

    The crate is a chapter's listing with probes in it, so rustc runs confined,
    with the same limits as for the listing itself (`book.sandbox`).
    """
    with tempfile.TemporaryDirectory(prefix="book-permissions-") as tmp:
        (Path(tmp) / "probes.rs").write_text("\n".join(crate) + "\n", encoding="utf-8")
        compiled = run_confined(["rustc", "--edition", EDITION, "--crate-type", "lib", "--emit=metadata",
                                 "--error-format=json", "--crate-name", "probes", "-o", "probes.rmeta", "probes.rs"],
                                Path(tmp), **COMPILE_LIMITS.keywords())
    if compiled.limit_exceeded:
        return f"rustc exceeded {COMPILE_LIMITS.describe(compiled.limit_exceeded)} checking the table"
    errors = [{"line": d["primary_line"], "code": (d.get("code") or {}).get("code"), "message": d.get("message", "")}
              for d in error_diagnostics(compiled.stderr.decode("utf-8", "replace"))]
    if any(e["line"] is None or e["code"] is None and e["message"].startswith(("expected", "mismatched closing",
                                                                                "this file contains an unclosed"))
           for e in errors):
        return ("a row names a line after which no statement can be inserted (the middle of an expression?); "
                "name lines that end a statement")
    return errors


def _crate_header(tables: list[PermissionTable]) -> list[str]:
    hoisted = {line for table in tables for line in build_program(table.listing).source.split("\n")
               if line.lstrip().startswith("#![")}
    return ["#![allow(warnings)]", *sorted(hoisted)]


def _run_probes(table: PermissionTable) -> TableCheck:
    crate = _crate_header([table])
    probing = _add_table(crate, table, "__probe")
    errors = _compile_probes(crate)
    if isinstance(errors, str):
        return TableCheck([], [], [], [], failure=errors)
    return _read_probes(table, probing, errors)


def _run_probe_batch(tables: list[PermissionTable]) -> list[TableCheck]:
    """All tables in one crate, one rustc run; if the crate cannot be judged, each table on its own."""
    if len(tables) == 1:
        return [_run_probes(tables[0])]
    crate = _crate_header(tables)
    probings = [_add_table(crate, table, f"__table{n}") for n, table in enumerate(tables)]
    errors = _compile_probes(crate)
    if isinstance(errors, str):
        return [_run_probes(table) for table in tables]
    bounds = [p.starts[0] for p in probings] + [len(crate) + 1]
    return [_read_probes(table, probing, [e for e in errors if bounds[n] <= e["line"] < bounds[n + 1]])
            for n, (table, probing) in enumerate(zip(tables, probings))]


def _read_probes(table: PermissionTable, probing: _Probing, errors: list[dict]) -> TableCheck:
    """What rustc's errors (crate lines) say about each probe of one table."""
    program, probes, starts = probing.program, probing.probes, probing.starts

    def variant_of(line: int) -> tuple[int, int]:
        number = max(i for i, start in enumerate(starts) if start <= line)
        return number, line - starts[number]  # 0-based line within the variant

    by_variant: dict[int, list[dict]] = {}
    for error in errors:
        number, local = variant_of(error["line"])
        by_variant.setdefault(number, []).append({**error, "local": local})
    baseline = by_variant.get(0, [])
    baseline_kinds = sorted((e["code"] or "", e["message"]) for e in baseline)
    rows, places = len(table.rows), len(table.places)
    holds = [[[] for _ in range(places)] for _ in range(rows)]
    live = [[False] * places for _ in range(rows)]
    missing = [[[] for _ in range(places)] for _ in range(rows)]
    for number, probe in enumerate(probes, start=1):
        errors_here = by_variant.get(number, [])
        rejected = any(e["local"] == probe.after + 1 for e in errors_here)
        if probe.what == "live":
            kinds = sorted((e["code"] or "", e["message"]) for e in errors_here)
            live[probe.row][probe.place] = kinds != baseline_kinds
        elif probe.what.startswith("before-"):
            if rejected:
                missing[probe.row][probe.place].append(probe.what[-1])
        elif not rejected:
            holds[probe.row][probe.place].append(probe.what)
    error_lines = sorted({program.line_map[e["local"]] for e in baseline
                          if 0 <= e["local"] < len(program.line_map) and program.line_map[e["local"]]})
    return TableCheck(holds, live, missing, error_lines)


def _run_runtime(table: PermissionTable) -> TableCheck:
    """Run the program with a report of `try_borrow` / `try_borrow_mut` after each row's line."""
    program = build_program(table.listing)
    index_of = {number: i for i, number in enumerate(program.line_map) if number is not None}
    lines = program.source.rstrip("\n").split("\n")
    inserts: dict[int, list[str]] = {}
    for r, row in enumerate(table.rows):
        for p, place in enumerate(table.places):
            inserts.setdefault(index_of[row.listing_line], []).append(  # one statement each: no guard outlives its test
                f"{{ let __read = ({place}).try_borrow().is_ok(); let __write = ({place}).try_borrow_mut().is_ok(); "
                f'println!("{PROBE_MARK} {r} {p} {{}} {{}}", __read, __write); }}')
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        indent = re.match(r"\s*", line).group(0)
        out.extend(indent + statement for statement in inserts.get(i, []))
    with tempfile.TemporaryDirectory(prefix="book-permissions-") as tmp:  # compiled and run confined, as listings are
        (Path(tmp) / "main.rs").write_text("\n".join(out) + "\n", encoding="utf-8")
        compiled = run_confined(["rustc", "--edition", EDITION, "-A", "warnings", "--crate-name", "probe", "-o",
                                 "probe", "main.rs"], Path(tmp), **COMPILE_LIMITS.keywords())
        if compiled.exit_code != 0 or compiled.limit_exceeded:
            first = (compiled.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[0]
            return TableCheck([], [], [], [], failure="the program with its run-time reports does not compile: " + first)
        with Sandbox(files={"probe": Path(tmp) / "probe"}) as sandbox:
            ran = sandbox.run(["./probe"], **run_limits(table.listing).keywords())
    if ran.limit_exceeded:
        return TableCheck([], [], [], [], failure=f"the program with its run-time reports exceeded "
                                                  f"{run_limits(table.listing).describe(ran.limit_exceeded)}")
    rows, places = len(table.rows), len(table.places)
    holds = [[[] for _ in range(places)] for _ in range(rows)]
    reached = [[False] * places for _ in range(rows)]
    for line in ran.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(PROBE_MARK):
            _, r, p, read, write = line.split()
            holds[int(r)][int(p)] = [letter for letter, ok in (("R", read), ("W", write)) if ok == "true"]
            reached[int(r)][int(p)] = True
    return TableCheck(holds, reached, [[[] for _ in range(places)] for _ in range(rows)], [])


def judge_table(rel: str, table: PermissionTable, result: TableCheck) -> tuple[PermissionTable, list[Problem]]:
    """Compare each cell with rustc; return the table with `needs_met` filled in, and the disagreements."""
    if result.failure:
        return table, [Problem(rel, table.line, f"permission table: {result.failure}")]
    problems = []
    rows = []
    for r, row in enumerate(table.rows):
        cells = []
        for p, (place, cell) in enumerate(zip(table.places, row.cells)):
            where = f"permission table: after `{row.code}`, `{place}`"
            if cell.needs:
                lacking = set(result.missing[r][p])
                errs = row.listing_line in result.error_lines
                if bool(lacking) != errs:
                    said = (f"lacks {''.join(sorted(lacking, key=PERMISSIONS.index))} just before this line, yet rustc "
                            "accepts the line" if lacking else
                            f"has {''.join(sorted(cell.needs, key=PERMISSIONS.index))} just before this line, yet rustc "
                            "rejects it for another reason")
                    problems.append(Problem(rel, row.line, f"permission table: at `{row.code}`, `{place}` {said}"))
                cells.append(replace(cell, needs_met=not lacking))
                continue
            if table.runtime:
                actual = set(result.holds[r][p]) if result.live[r][p] else None
                if actual is None:
                    problems.append(Problem(rel, row.line, f"{where}: the program never reached this line"))
                elif actual != set(cell.holds):
                    problems.append(Problem(rel, row.line, f"{where}: at run time {_describe_runtime(actual)}; "
                                                           f"the table says {_letters(cell.holds) or 'nothing'}"))
                cells.append(cell)
                continue
            actual = set(result.holds[r][p]) if result.live[r][p] else set()
            if actual != set(cell.holds):
                problems.append(Problem(rel, row.line, f"{where} {_explain(place, result, r, p)}; "
                                                       f"the table says {_letters(cell.holds) or 'nothing'}"))
            cells.append(cell)
        rows.append(replace(row, cells=tuple(cells)))
    return replace(table, rows=tuple(rows)), problems


def _letters(permissions: frozenset[str] | set[str]) -> str:
    return "".join(letter for letter in PERMISSIONS if letter in permissions)


def _explain(place: str, result: TableCheck, r: int, p: int) -> str:
    if not result.live[r][p]:
        return f"has no permissions: `{_root(place)}` is not used again after this line"
    granted = set(result.holds[r][p])
    tests = {"R": f"&{place}", "W": f"&mut {place}", "O": f"a move of {place}"}
    accepted = [tests[x] for x in PERMISSIONS if x in granted]
    refused = [tests[x] for x in PERMISSIONS if x not in granted]
    said = f"holds {_letters(granted) or 'nothing'}"
    if accepted:
        said += f" (rustc accepts {', '.join(f'`{t}`' if t[0] == '&' else t for t in accepted)} there"
        said += f" and rejects {', '.join(f'`{t}`' if t[0] == '&' else t for t in refused)})" if refused else ")"
    elif refused:
        said += f" (rustc rejects {', '.join(f'`{t}`' if t[0] == '&' else t for t in refused)} there)"
    return said


def _describe_runtime(actual: set[str]) -> str:
    read = "try_borrow() succeeds" if "R" in actual else "try_borrow() fails"
    write = "try_borrow_mut() succeeds" if "W" in actual else "try_borrow_mut() fails"
    return f"{read} and {write}"
