#!/usr/bin/env python3
"""`make bench`: how long the example checks and the build take, cold and warm.

Machines are shared and noisy, so every figure is a median of several runs and
the comparisons are ratios measured side by side in one run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from book.load import load_book  # noqa: E402
from book.rustcheck import RustChecker, collect_examples  # noqa: E402

RUNS = 3


def time_examples(cache: Path, examples, version: str) -> tuple[float, list[float]]:
    checker = RustChecker(cache, version)
    start = time.perf_counter()
    results = checker.run_all(examples)
    return time.perf_counter() - start, [r.seconds for r in results.values()]


def main() -> int:
    book = load_book(ROOT)
    examples = collect_examples(book)
    colds, warms, per_example = [], [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as tmp:
            cold, seconds = time_examples(Path(tmp), examples, book.rustc_version)
            warm, _ = time_examples(Path(tmp), examples, book.rustc_version)
        colds.append(cold)
        warms.append(warm)
        per_example.extend(seconds)
    checked = len([e for e in examples if e.block.mode != "ignore"])
    print(f"examples checked             {checked}")
    print(f"cold check (parallel)        median {statistics.median(colds):6.2f} s   (runs: {', '.join(f'{c:.2f}' for c in colds)})")
    print(f"warm check (all cached)      median {statistics.median(warms):6.3f} s")
    print(f"per example, cold            median {statistics.median(per_example):6.3f} s")
    print(f"cold / warm                  {statistics.median(colds) / statistics.median(warms):6.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
