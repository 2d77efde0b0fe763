"""`make serve`: serves the web edition, rebuilds on an edit and tells the page to reload."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request

from conftest import PROJECT, FixtureBook


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_serve_rebuilds_and_reloads_after_an_edit(fixture_book: FixtureBook) -> None:
    proc = subprocess.Popen([sys.executable, str(PROJECT / "build.py"), "serve", "--port", "0", "--root",
                             str(fixture_book.root), "--out", str(fixture_book.root / "dist")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        for line in proc.stdout:
            match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if match:
                url = match.group(1)
                break
        assert url, "serve did not print its address"
        page = fetch(url + "01_first.html")
        assert "/__livereload.js" in page and "Moving a value" in page
        assert fetch(url + "__version") == "0"
        fixture_book.edit("chapters/01_first.md", "A move[^m].", "A move, edited today[^m].")
        deadline = time.monotonic() + 60
        while fetch(url + "__version") == "0":
            assert time.monotonic() < deadline, "no rebuild within 60 s"
            time.sleep(0.2)
        assert "A move, edited today" in fetch(url + "01_first.html")
        # the files on disk stay as a static host would serve them
        assert "__livereload" not in (fixture_book.root / "dist" / "html" / "01_first.html").read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
