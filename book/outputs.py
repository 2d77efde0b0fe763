"""Write outputs so that a failed or interrupted build leaves the last good ones intact.

A build renders every output into a staging folder beside the output folder;
only when every target has succeeded are they moved into place (`Staging`).
Single files are written atomically (temporary file, then rename) too.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def replace_dir_atomic(staging: Path, target: Path) -> None:
    """Swap a fully written staging folder into place (the old one is removed after)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f".{target.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    if old.exists():
        shutil.rmtree(old)


def staging_dir(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))


class Staging:
    """A folder beside `out_dir` that a build writes into; `commit` moves its outputs into `out_dir`.

    On the same file system as `out_dir`, so every move is a rename. A build
    that fails or is interrupted calls `discard`, and `out_dir` is untouched.
    """

    def __init__(self, out_dir: Path):
        self.out_dir = out_dir
        self.path = staging_dir(out_dir)

    def final(self, staged: Path) -> Path:
        """Where a staged output goes in `out_dir`."""
        return self.out_dir / staged.relative_to(self.path)

    def commit(self, staged_outputs: list[Path]) -> list[Path]:
        """Move each staged file (or folder, replaced whole) into `out_dir`; returns the final paths."""
        finals = []
        for staged in staged_outputs:
            final = self.final(staged)
            if staged.is_dir():
                replace_dir_atomic(staged, final)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
            finals.append(final)
        return finals

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
