#!/usr/bin/env python3
"""Build the book: `python build.py --help` (same as `python -m book`)."""

import sys

from book.cli import main

if __name__ == "__main__":
    sys.exit(main())
