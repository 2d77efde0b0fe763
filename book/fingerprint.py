"""Skip outputs whose inputs have not changed since they were written.

Each output is recorded in `.cache/outputs.json` with a fingerprint of
everything that shapes it: the converted chapters it shows, the book's
metadata and date, the paper size, the figures, the styles, and the
pipeline's own code. A rebuild with nothing changed re-renders nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from book.model import Book, Chapter

PACKAGE = Path(__file__).resolve().parent


def _pipeline_files() -> list[Path]:
    """The pipeline's own code and templates: a change to any of them can change every output."""
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".j2", ".js", ".svg"))


@lru_cache(maxsize=None)
def _code_fingerprint(styles_dir: Path) -> str:
    digest = hashlib.sha256(_lunr_identity().encode())
    for file in sorted([*_pipeline_files(), *styles_dir.glob("*.css")]):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def fingerprint(book: Book, target: str, paper: str, chapters: tuple[Chapter, ...] | None = None) -> str:
    """Fingerprint of one output; `chapters` narrows the content to what it shows (a handout)."""
    digest = hashlib.sha256()
    header = [target, paper, book.build_date, book.rustc_version, json.dumps(book.meta.__dict__, default=list),
              _code_fingerprint(book.styles_dir)]
    digest.update("\0".join(header).encode())
    for chapter in book.chapters:  # titles and anchors of every chapter shape cross-references
        digest.update(f"{chapter.key}\0{chapter.full_title}\0{','.join(h.id for h in chapter.toc)}".encode())
    for chapter in chapters if chapters is not None else book.chapters:
        digest.update(chapter.html.encode())
        for figure in chapter.figures:
            digest.update(figure.name.encode() + b"\0" + figure.path.read_bytes())
    return digest.hexdigest()


class OutputManifest:
    """What was written, and from which inputs."""

    def __init__(self, cache_dir: Path):
        self.path = cache_dir / "outputs.json"
        try:
            self.entries: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def is_fresh(self, output: Path, print_: str) -> bool:
        return output.exists() and self.entries.get(str(output.resolve())) == print_

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.entries, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def _pandoc_identity() -> str:
    """Which pandoc binary the build uses, without importing pypandoc (slow) or running it."""
    import importlib.util

    spec = importlib.util.find_spec("pypandoc")
    if spec is None or spec.origin is None:
        return "no-pypandoc"
    binary = Path(spec.origin).parent / "files" / "pandoc"
    stat = binary.stat() if binary.exists() else None
    return f"{binary}:{stat.st_size}:{stat.st_mtime_ns}" if stat else "pandoc-not-bundled"


def _lunr_identity() -> str:
    """Which lunr.py builds the web edition's search index (its version is in its __init__.py)."""
    import importlib.util

    spec = importlib.util.find_spec("lunr")
    if spec is None or spec.origin is None:
        return "no-lunr"
    return hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest()


def sources_fingerprint(root: Path, styles_dir: Path, settings: str, build_date: str, rustc_version: str) -> str:
    """Everything a build reads: book.toml, chapters, figures, styles, the pipeline's code, the tools.

    Equal fingerprints mean a rebuild would write the same files, so the build
    can stop before loading anything.
    """
    digest = hashlib.sha256("\0".join([settings, build_date, rustc_version, _pandoc_identity(), _lunr_identity()]).encode())
    files = [root / "book.toml", *sorted((root / "chapters").rglob("*")), *sorted(styles_dir.glob("*")),
             *_pipeline_files()]
    for file in files:
        if file.is_file():
            digest.update(str(file).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()
