"""Shared fixtures: a tiny fixture book to break in many ways, and the real book built once."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run `python build.py ...` as a user would."""
    proc = subprocess.run([sys.executable, str(PROJECT / "build.py"), *args], cwd=cwd or PROJECT,
                          capture_output=True, text=True, timeout=1800, env={**os.environ, **(env or {})})
    return Run(proc.returncode, proc.stdout, proc.stderr)


class FixtureBook:
    """A copy of tests/fixtures/mini in a temp folder, to edit and build."""

    def __init__(self, root: Path):
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        self.path(rel).parent.mkdir(parents=True, exist_ok=True)
        self.path(rel).write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"fixture text {old!r} not found in {rel}"
        self.write(rel, text.replace(old, new, 1))

    def append(self, rel: str, text: str) -> None:
        self.write(rel, self.read(rel) + text)

    def build(self, *targets: str) -> Run:
        return run_cli("build", *targets, "--root", str(self.root), "--out", str(self.root / "dist"))

    def check(self) -> Run:
        return run_cli("check", "--root", str(self.root))


@pytest.fixture
def fixture_book(tmp_path: Path) -> FixtureBook:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "mini", root)
    return FixtureBook(root)


def assert_clean_failure(run: Run, *expected: str) -> None:
    """Exit 1, no traceback, and each expected fragment in the messages."""
    assert run.code == 1, f"expected exit 1, got {run.code}\n{run.err}"
    assert "Traceback" not in run.err, run.err
    for fragment in expected:
        assert fragment in run.err, f"{fragment!r} not in:\n{run.err}"


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`build(folder)` run once per test run, however many pytest-xdist workers ask for it.

    The workers share the parent of their temporary folders; the first to take
    the lock builds, the others wait on the lock (a condition, not a time) and
    reuse what it made. A failed build leaves no mark, so each asker reports it.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def built_mini(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture book built once per test run (all targets); copy it (`copy_built`) before changing it."""
    def build(folder: Path) -> None:
        shutil.copytree(FIXTURES / "mini", folder / "book")
        run = FixtureBook(folder / "book").build()
        assert run.code == 0, run.err

    return built_once(tmp_path_factory, "built-mini", build) / "book"


def copy_built(built: Path, tmp_path: Path) -> FixtureBook:
    """A private copy of a built fixture book, its dist/ being 'the last good build'."""
    root = tmp_path / "book"
    shutil.copytree(built, root, symlinks=True)
    return FixtureBook(root)


def digest_tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its SHA-256, to prove a build left them alone."""
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def real_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real book, built once per test run into a temp folder (all targets).

    For quick iteration on output checks, BOOK_TEST_DIST=dist reuses an existing
    build instead (CI never sets it).
    """
    if os.environ.get("BOOK_TEST_DIST"):
        return Path(os.environ["BOOK_TEST_DIST"]).resolve()

    def build(out: Path) -> None:
        run = run_cli("build", "--out", str(out), env={"SOURCE_DATE_EPOCH": "1767225600"})
        assert run.code == 0, run.err

    return built_once(tmp_path_factory, "real-book", build)
