"""Run untrusted commands (rustc on a chapter's listing, the program it builds) confined.

A chapter is code the build compiles and runs, and chapters come from
contributors. So every such command runs in a bubblewrap sandbox: new user,
PID, network, IPC and UTS namespaces (no network, no view of the builder's
processes), a filesystem that holds only /usr, the Rust toolchain at /rust
(read-only) and a scratch folder at /example, a fixed environment, and limits
on wall time, memory (RLIMIT_AS) and output. Nothing a command starts outlives
it: the sandbox's first process kills every other one after each command
(book/sandbox_init.py). Paths and environment are the same in every build, so
a program that prints its working directory prints `/example` everywhere.

One sandbox serves many commands (`Sandbox.run`), because starting one costs
more than running a small program in it; `run_confined` is the one-command form:

    result = run_confined(["rustc", "--edition", "2024", "src/main.rs"], scratch,
                          time_limit=60, memory_limit=4 << 30, output_limit=1 << 20)
    if result.limit_exceeded: ...  # "time", "memory" or "output"
"""

from __future__ import annotations

import base64
import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Mapping, Sequence

WORKDIR = "/example"  # the scratch folder and working directory inside, in every build
TOOLCHAIN = "/rust"  # the Rust toolchain's sysroot inside (rustc is on PATH)
ENV = {"PATH": f"{TOOLCHAIN}/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TERM": "dumb", "HOME": WORKDIR}
SCRATCH_SIZE = 256 << 20  # bytes: each scratch tmpfs (/tmp, and /example without a workdir), and any one file written
SANDBOX_UID = "1000"
ANSWER_GRACE = 30.0  # seconds the supervisor may take beyond a command's time limit before it is presumed stuck
INIT = Path(__file__).with_name("sandbox_init.py")


class SandboxError(Exception):
    """The sandbox itself cannot be used (bwrap missing, namespaces refused): an environment problem, not the book's."""


@dataclass(frozen=True)
class ConfinedResult:
    """What a confined command did. `exit_code` is negative when a signal ended it, None if it never ended."""

    exit_code: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False  # killed at the time limit
    memory_exceeded: bool = False  # failed while saying it could not allocate (RLIMIT_AS reached)
    output_exceeded: bool = False  # killed for printing more than the output limit (stdout and stderr together)
    seconds: float = 0.0
    peak_memory: int = 0  # bytes, the command's own peak resident set

    @property
    def limit_exceeded(self) -> str | None:
        """"time", "memory" or "output" when the command hit that limit."""
        for name, hit in (("time", self.timed_out), ("memory", self.memory_exceeded), ("output", self.output_exceeded)):
            if hit:
                return name
        return None


class Sandbox:
    """A running sandbox that executes commands one at a time, each in the same clean state.

    `workdir`: a host folder shown read-write at /example (the caller owns what
    is in it, e.g. rustc's output). Without one, /example is an empty tmpfs,
    emptied before every command, holding only `files` (name -> host file,
    shown read-only at /example/name, e.g. the program to run). /tmp is a
    fresh tmpfs, emptied before every command. Use as a context manager, from
    one thread at a time, and close it before the thread that opened it ends
    (bwrap dies with the thread that started it).
    """

    def __init__(self, workdir: Path | None = None, *, files: Mapping[str, Path] | None = None,
                 scratch_size: int = SCRATCH_SIZE):
        self.workdir = workdir
        self.files = dict(files or {})
        self.scratch_size = scratch_size
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def __enter__(self) -> Sandbox:
        try:
            self._proc = subprocess.Popen(self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, start_new_session=True, env={"PATH": os.defpath})
        except FileNotFoundError:
            raise SandboxError("bwrap not found: the examples run in a bubblewrap sandbox; install the Debian "
                               "package bubblewrap (make deps does)") from None
        self._receive(timeout=60)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """End the sandbox and everything in it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()  # the supervisor kills what is left and exits
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        _kill_group(proc)
        proc.stdout.close()
        proc.stderr.close()

    def run(self, argv: Sequence[str], *, time_limit: float, memory_limit: int, output_limit: int,
            stdin: bytes | None = None) -> ConfinedResult:
        """Run `argv` in /example and wait for it and everything it started; never longer than `time_limit`.

        memory_limit: bytes of address space for each process; output_limit:
        bytes of stdout and stderr together, beyond which the command is killed.
        """
        if self._proc is None:
            raise SandboxError("the sandbox is not running (use it as a context manager)")
        request = {"argv": list(argv), "time": time_limit, "memory": memory_limit, "output": output_limit,
                   "file_size": self.scratch_size,
                   "stdin": base64.b64encode(stdin).decode("ascii") if stdin is not None else None}
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except OSError:
            raise SandboxError(f"the sandbox stopped: {self._stderr()}") from None
        answer = self._receive(timeout=time_limit + ANSWER_GRACE)
        if "error" in answer:
            raise SandboxError(answer["error"])
        return ConfinedResult(exit_code=answer["exit_code"], stdout=base64.b64decode(answer["stdout"]),
                              stderr=base64.b64decode(answer["stderr"]), timed_out=answer["timed_out"],
                              memory_exceeded=answer["memory_exceeded"], output_exceeded=answer["output_exceeded"],
                              seconds=answer["seconds"], peak_memory=answer["peak_memory"])

    def _command(self) -> list[str]:
        python, python_binds = _interpreter()
        config = {"cwd": WORKDIR, "env": ENV, "keep": [f"{WORKDIR}/{name}" for name in self.files],
                  "wipe": {"/tmp": "755", **({} if self.workdir else {WORKDIR: "755"})}}
        return [_bwrap(), *_namespaces(), *_system_view(), *python_binds,
                "--ro-bind", str(rust_sysroot()), TOOLCHAIN,
                "--size", str(self.scratch_size), "--tmpfs", "/tmp",
                *self._workdir_view(),
                "--remount-ro", "/", "--chdir", WORKDIR,
                "--", python, "-I", "-S", "-B", "-c", INIT.read_text(encoding="utf-8"), json.dumps(config)]

    def _workdir_view(self) -> list[str]:
        view = (["--bind", str(self.workdir), WORKDIR] if self.workdir
                else ["--size", str(self.scratch_size), "--tmpfs", WORKDIR])
        for name, path in self.files.items():
            if "/" in name or name in ("", ".", ".."):
                raise ValueError(f"not a plain file name: {name!r}")
            view += ["--ro-bind", str(path), f"{WORKDIR}/{name}"]
        return view

    def _receive(self, timeout: float) -> dict:
        """One JSON line from the supervisor, or SandboxError if it dies or stalls."""
        assert self._proc is not None
        fd = self._proc.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                if not selector.select(timeout):
                    self.close()
                    raise SandboxError(f"the sandbox did not answer within {timeout:.0f} s")
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise SandboxError(f"the sandbox could not start or stopped: {self._stderr()}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def _stderr(self) -> str:
        """What bwrap or the supervisor said before failing (they say nothing otherwise)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return ""
        _kill_group(proc)
        text = proc.stderr.read().decode("utf-8", "replace").strip()
        proc.stdout.close()
        proc.stderr.close()
        if "Traceback (most recent call last)" in text:  # the supervisor failed: its last line says how
            text = f"its supervisor failed: {text.splitlines()[-1]}"
        return text or f"bwrap exited with status {proc.returncode}"


def run_confined(argv: Sequence[str], workdir: Path | None, *, time_limit: float, memory_limit: int,
                 output_limit: int, stdin: bytes | None = None) -> ConfinedResult:
    """Run one command confined, in `workdir` shown at /example (see Sandbox); for many commands, use one Sandbox."""
    with Sandbox(workdir) as sandbox:
        return sandbox.run(argv, time_limit=time_limit, memory_limit=memory_limit, output_limit=output_limit,
                           stdin=stdin)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """bwrap leads its own process group; killing it ends the sandbox (--die-with-parent, PID namespace)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _namespaces() -> list[str]:
    return ["--unshare-user", "--uid", SANDBOX_UID, "--gid", SANDBOX_UID, "--disable-userns",
            "--unshare-pid", "--as-pid-1", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--hostname", "example", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"]


def _system_view() -> list[str]:
    """/usr read-only, the top-level links or folders into it, and what the dynamic linker and `cc` read in /etc.

    /dev is bubblewrap's minimal one (null, zero, urandom...), made read-only so
    that it cannot be filled; /proc shows only the sandbox's own processes.
    """
    view = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            view += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            view += ["--ro-bind", str(host), str(host)]
    for path in ("/etc/ld.so.cache", "/etc/alternatives"):
        view += ["--ro-bind-try", path, path]
    return view + ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]


@functools.cache
def rust_sysroot() -> Path:
    """The active toolchain's folder (rustup's proxy resolved once, outside, so no $HOME is needed inside)."""
    try:
        out = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        raise SandboxError(f"rustc --print sysroot failed: {error}") from None
    return Path(out.stdout.strip())


@functools.cache
def _interpreter() -> tuple[str, tuple[str, ...]]:
    """A Python for the supervisor: this one if it lives in /usr, else /usr's, else this one's folder bound in."""
    own = Path(sys._base_executable if hasattr(sys, "_base_executable") else sys.executable).resolve()
    if own.is_relative_to("/usr"):
        return str(own), ()
    system = shutil.which("python3", path="/usr/bin")
    if system:
        return system, ()
    prefix = str(Path(sys.base_prefix).resolve())
    return str(own), ("--ro-bind", prefix, prefix)


@functools.cache
def _bwrap() -> str:
    found = shutil.which("bwrap")
    if not found:
        raise SandboxError("bwrap not found: the examples run in a bubblewrap sandbox; install the Debian "
                           "package bubblewrap (make deps does)")
    return found
