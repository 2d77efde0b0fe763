"""`python -m book` runs the command-line interface."""

import sys

from book.cli import main

sys.exit(main())
