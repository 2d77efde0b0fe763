"""A WeasyPrint URL fetcher that only serves files inside the project.

WeasyPrint follows every URL a document names: images, stylesheets,
`@import`, `<link rel=attachment>`. A chapter must not be able to pull
`/etc/passwd` or an http URL into the PDF, so anything that is not a file
under the project root is refused and remembered; the build then fails with
the refused URLs listed (see GHSA-jf6q-chmf-3h3v).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse


class ProjectOnlyFetcher(URLFetcher):
    """Serve `file:` URLs under the given roots; refuse every other scheme, host and path."""

    def __init__(self, *roots: Path):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = tuple(r.resolve() for r in roots)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):  # inline data (the stylesheets' small SVG markers) reaches nothing outside
            return super().fetch(url, headers)
        path = self.local_path(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}: only files inside the project may be used")
        mime_type, encoding = mimetypes.guess_type(path.name)
        if path.suffix == ".svg":
            mime_type = "image/svg+xml"
        response_headers = {"Content-Type": mime_type or "application/octet-stream"}
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), response_headers)

    def local_path(self, url: str) -> Path | None:
        """The project file a URL names, or None if it names anything else."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            return None
        return path
