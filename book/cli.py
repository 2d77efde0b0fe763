"""Command line: `book build [html epub pdf handouts]`, `book check`, `book serve`, `book clean`.

Thin on purpose: parse arguments, call the pipeline, turn BookError into a
readable list of problems and exit status 1. Never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from book.errors import BookError
from book.pipeline import TARGETS, Reporter, build, cache_dir_for, check_only
from book.targets import CROP, PAPERS

COMMANDS = ("build", "check", "serve", "clean")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="build.py",
        description="Build 'Memory Management in Rust' from chapters/ into HTML, PDF and EPUB.",
        epilog="Examples:\n  python build.py                 build every output into dist/\n"
               "  python build.py pdf --paper letter\n  python build.py check           check examples and links only\n"
               "  python build.py clean           remove dist/ and .cache/",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=Path.cwd(), help="project folder (default: the current folder)")
    common.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    common.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    build_cmd = sub.add_parser("build", parents=[common], help="build outputs (default command)",
                               description="Build outputs. With no target, builds all of: " + ", ".join(TARGETS) + ".")
    build_cmd.add_argument("targets", nargs="*", metavar="TARGET",
                           help=f"what to build: {', '.join(TARGETS)} (default: all)")
    build_cmd.add_argument("--out", type=Path, default=None, help="output folder (default: dist/)")
    build_cmd.add_argument("--paper", choices=tuple(PAPERS), default="a4", metavar="{" + ",".join(PAPERS) + "}",
                           help="page size of the PDF and the handouts: "
                                + "; ".join(f"{p.name}: {p.description}" for p in PAPERS.values()))
    build_cmd.add_argument("--crop-marks", action="store_true",
                           help="add crop marks and 3 mm bleed on every side, as print-on-demand services expect")
    sub.add_parser("check", parents=[common], help="check every Rust example and link; write nothing")
    serve_cmd = sub.add_parser("serve", parents=[common], help="serve the web edition on localhost; rebuild and reload on edits")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")
    serve_cmd.add_argument("--out", type=Path, default=None, help="output folder (default: dist/)")
    sub.add_parser("clean", parents=[common], help="remove dist/ and the caches in .cache/")
    return top


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    first = next((a for a in args_list if not a.startswith("-")), None)
    wants_top_help = first is None and any(a in ("-h", "--help") for a in args_list)
    if first not in COMMANDS and not wants_top_help:
        args_list.insert(0, "build")  # `build.py pdf` and plain `build.py` mean `build.py build ...`
    cli = parser()
    args = cli.parse_args(args_list)
    unknown = [t for t in getattr(args, "targets", []) if t not in TARGETS]
    if unknown:
        cli.error(f"unknown target {unknown[0]!r}; choose from {', '.join(TARGETS)}")
    root = args.root.resolve()
    if args.command == "clean":
        for folder in (root / "dist", cache_dir_for(root)):
            shutil.rmtree(folder, ignore_errors=True)
        print("clean    removed dist/ and .cache/", file=sys.stderr)
        return 0
    reporter = Reporter(verbosity=0 if args.quiet else 2 if args.verbose else 1)
    try:
        if args.command == "check":
            check_only(root, reporter)
        elif args.command == "serve":
            from book.serve import serve
            serve(root, (args.out or root / "dist").resolve(), args.port, reporter)
        else:
            targets = tuple(args.targets) or TARGETS
            paper = args.paper + (CROP if args.crop_marks else "")
            build(root, targets, (args.out or root / "dist").resolve(), paper, reporter)
    except BookError as error:
        for problem in error.problems:
            print(problem.format(), file=sys.stderr)
        count = len(error.problems)
        print(f"\nbuild failed: {count} problem{'s' if count != 1 else ''}; outputs from the last good build are unchanged",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
