#!/usr/bin/env python3
"""Assemble chapters/appendix_a_solutions.md from per-part drafts.

Writers draft each part's solutions in their own file (so several parts can be
written at once without touching one file); this script joins them in part
order under the appendix heading. Usage: tools/merge_solutions.py DRAFT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

HEADER = """# Appendix A: Solutions to the Exercises

Worked solutions to every exercise in the book, part by part. Each solution links
back to its exercise, and every listing here is compiled and run with the rest of
the book, so the code and its output are real. Try an exercise before you read its
solution: the reasoning matters more than the final code.
"""


def main() -> int:
    drafts = Path(sys.argv[1])
    parts = sorted(drafts.glob("solutions_[0-9][0-9].md"))
    body = "\n".join(p.read_text(encoding="utf-8").strip() + "\n" for p in parts)
    target = Path(__file__).resolve().parent.parent / "chapters" / "appendix_a_solutions.md"
    target.write_text(HEADER + "\n" + body, encoding="utf-8")
    print(f"{target}: {len(parts)} parts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
