"""`make serve`: the web edition on localhost, rebuilt and reloaded on every edit.

Only the HTML is rebuilt (the fast path); examples and pandoc conversions come
from the cache, so an edit to one chapter shows in the browser in about a
second. Served pages get a small script that polls for a new build and
reloads; the files in dist/ stay exactly as a static host would serve them.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path

from book.errors import BookError
from book.pipeline import Reporter, cache_dir_for, prepare
from book.targets import RenderOptions
from book.targets import html as html_target

WATCHED = ("chapters", "styles", "book/templates", "book/assets", "book.toml")
RELOAD_SCRIPT = b"""(function () {
  var seen = null;
  function poll() {
    fetch("/__version", {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (v) {
      if (seen !== null && v !== seen) { location.reload(); }
      seen = v;
    }).catch(function () {}).finally(function () { setTimeout(poll, 800); });
  }
  poll();
})();
"""


class Site:
    """The current build's version number, bumped after each successful rebuild."""

    def __init__(self) -> None:
        self.version = 0


def snapshot(root: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    for name in WATCHED:
        path = root / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            times[str(file)] = file.stat().st_mtime
    return times


def rebuild(root: Path, out_dir: Path, reporter: Reporter) -> bool:
    start = time.perf_counter()
    try:
        book = prepare(root, reporter)
        html_target.render(book, RenderOptions(out_dir=out_dir, cache_dir=cache_dir_for(root)))
    except BookError as error:
        for problem in error.problems:
            print(problem.format(), flush=True)
        print("serve    build failed; still serving the last good pages", flush=True)
        return False
    reporter.line("serve", "html rebuilt", time.perf_counter() - start)
    return True


def make_handler(directory: Path, site: Site) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path == "/__version":
                return self._send(str(site.version).encode(), "text/plain")
            if path == "/__livereload.js":
                return self._send(RELOAD_SCRIPT, "text/javascript")
            if path.endswith("/") or path.endswith(".html"):
                file = directory / (path.lstrip("/") or "index.html")
                if file.is_dir():
                    file = file / "index.html"
                if file.is_file() and file.resolve().is_relative_to(directory.resolve()):
                    page = file.read_bytes().replace(b"</body>", b'<script src="/__livereload.js"></script></body>')
                    return self._send(page, "text/html; charset=utf-8")
            return super().do_GET()

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return functools.partial(Handler, directory=str(directory))  # type: ignore[return-value]


def serve(root: Path, out_dir: Path, port: int, reporter: Reporter) -> None:
    site = Site()
    seen = snapshot(root)  # before the first build, so no edit can slip between build and watch
    rebuild(root, out_dir, reporter)
    directory = out_dir / "html"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), make_handler(directory, site))
    print(f"serve    http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C to stop)", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        while True:
            time.sleep(0.4)
            now = snapshot(root)
            if now != seen:
                seen = now
                if rebuild(root, out_dir, reporter):
                    site.version += 1
    finally:
        server.shutdown()
