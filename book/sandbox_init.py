"""The first process inside a sandbox: it runs the build's commands one at a time, within limits.

`book/sandbox.py` starts this file with `python -I -S -c` as PID 1 of a fresh
PID namespace (`bwrap --as-pid-1`). It reads one JSON request per line on
stdin and answers each with one JSON line on stdout. Being PID 1 is the point:
`kill(-1)` from here reaches every process a command left behind (detached,
re-parented, in another session) and spares only this one, and a signal sent
from inside the namespace cannot kill it. Starting the sandbox once and
running hundreds of short commands in it is what keeps confinement cheap
(a new sandbox costs milliseconds; a command here costs what a fork costs).

Standard library only, Python 3.9 or later: it runs on whatever interpreter
the host has, with no site-packages and no access to the project.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import time

# What a process that ran out of memory under RLIMIT_AS prints: Rust's allocation
# error handler, LLVM, libc's strerror(ENOMEM) and Python.
MEMORY_MESSAGES = (b"memory allocation of ", b"out of memory", b"Cannot allocate memory", b"MemoryError")
PR_SET_DUMPABLE = 4
CHUNK = 65536


def main() -> int:
    config = json.loads(sys.argv[1])
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a signal from a command must not stop PID 1
    _not_dumpable()
    refusal = _not_scratch(config["wipe"], set(config["keep"]))
    if refusal:
        sys.stderr.write(refusal + "\n")
        return 1
    send({"ready": True})
    for line in sys.stdin:
        send(run(json.loads(line), config))
    kill_all()
    return 0


def _not_scratch(folders: dict[str, str], keep: set[str]) -> str | None:
    """Why a folder to be wiped is not this sandbox's own fresh tmpfs, if it is not.

    Wiping is only safe on a tmpfs mounted for this sandbox: a host folder
    bound there by mistake would be emptied for real. A fresh one is a tmpfs
    mount and holds nothing but the read-only files kept in it.
    """
    types = {}
    with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
        for line in mounts:
            fields = line.split()
            types[fields[4]] = fields[fields.index("-") + 1]  # the last mount on a path is the visible one
    for folder in folders:
        if types.get(folder) != "tmpfs":
            return f"refusing to use {folder} as a scratch folder: it is not a tmpfs of the sandbox's own"
        strays = [entry.path for entry in os.scandir(folder) if entry.path not in keep]
        if strays:
            return f"refusing to use {folder} as a scratch folder: it is not empty ({strays[0]})"
    return None


def send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _not_dumpable() -> None:
    """Commands run as the same user: without this they could ptrace PID 1 and answer for it."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def within_hard_limit(kind: int, value: int) -> int:
    """`value`, or less where the build itself runs under a lower hard limit (`ulimit -v`), which no process may raise."""
    hard = resource.getrlimit(kind)[1]
    return value if hard == resource.RLIM_INFINITY else min(value, hard)


def run(request: dict, config: dict) -> dict:
    """Run one command in a clean scratch state; report exit, output and which limit, if any, it hit."""
    kill_all()
    for folder, mode in config["wipe"].items():
        wipe(folder, int(mode, 8), set(config["keep"]))
    memory, output_limit = request["memory"], request["output"]
    data = base64.b64decode(request["stdin"]) if request.get("stdin") is not None else None

    def limits() -> None:
        for kind, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CORE, 0),
                            (resource.RLIMIT_FSIZE, request["file_size"])):
            resource.setrlimit(kind, (within_hard_limit(kind, value),) * 2)

    start = time.monotonic()
    try:
        proc = subprocess.Popen(request["argv"], cwd=config["cwd"], env=config["env"], preexec_fn=limits,
                                stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True)
    except OSError as error:
        return {"error": f"cannot start {request['argv'][0]!r}: {error.strerror or error}"}
    except subprocess.SubprocessError:
        return {"error": f"cannot start {request['argv'][0]!r}: its resource limits could not be set"}
    outputs, status, flags = _supervise(proc, data, start + request["time"], output_limit)
    proc.returncode = 0  # reaped here, not by Popen
    exit_code = os.waitstatus_to_exitcode(status[0]) if status else None
    stderr = bytes(outputs["stderr"])
    flags["memory_exceeded"] = exit_code != 0 and any(m in stderr for m in MEMORY_MESSAGES)
    return {"exit_code": exit_code, "stdout": _b64(outputs["stdout"]), "stderr": _b64(stderr),
            "seconds": time.monotonic() - start, "peak_memory": status[1] if status else 0, **flags}


def _supervise(proc: subprocess.Popen, data: bytes | None, deadline: float,
               output_limit: int) -> tuple[dict[str, bytearray], tuple[int, int] | None, dict[str, bool]]:
    """Feed stdin, collect output up to the limit, until the command and all it started are gone or time is up."""
    selector = selectors.DefaultSelector()
    pidfd = os.pidfd_open(proc.pid)
    selector.register(pidfd, selectors.EVENT_READ, "exit")
    outputs = {"stdout": bytearray(), "stderr": bytearray()}
    selector.register(proc.stdout, selectors.EVENT_READ, "stdout")
    selector.register(proc.stderr, selectors.EVENT_READ, "stderr")
    if proc.stdin is not None:
        os.set_blocking(proc.stdin.fileno(), False)
        selector.register(proc.stdin, selectors.EVENT_WRITE, "stdin")
    pending = memoryview(data or b"")
    status: tuple[int, int] | None = None
    flags = {"timed_out": False, "output_exceeded": False}
    open_pipes = 2
    while open_pipes or status is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            flags["timed_out"] = True
            break
        for key, _ in selector.select(remaining):
            if key.data == "exit":
                selector.unregister(pidfd)
                status = _wait(proc.pid)
                kill_all()  # what the command left running would hold the pipes open
            elif key.data == "stdin":
                try:
                    written = os.write(key.fd, pending[:CHUNK])
                except BrokenPipeError:
                    written = len(pending)
                pending = pending[written:]
                if not pending:
                    selector.unregister(proc.stdin)
                    proc.stdin.close()
            else:
                chunk = os.read(key.fd, CHUNK)
                if not chunk:
                    selector.unregister(key.fileobj)
                    open_pipes -= 1
                    continue
                outputs[key.data] += chunk
        if len(outputs["stdout"]) + len(outputs["stderr"]) > output_limit:
            flags["output_exceeded"] = True
            del outputs["stderr"][max(0, output_limit - len(outputs["stdout"])):]
            del outputs["stdout"][output_limit:]
            break
    if status is None:
        status = _wait(proc.pid, kill=True)
    kill_all()
    selector.close()
    os.close(pidfd)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None and not stream.closed:
            stream.close()
    return outputs, status, flags


def _wait(pid: int, kill: bool = False) -> tuple[int, int]:
    """The command's wait status and peak resident memory in bytes."""
    if kill:
        os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    return status, usage.ru_maxrss * 1024


def kill_all() -> None:
    """Kill and reap every process in the namespace but this one; as PID 1, -1 means exactly that."""
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            return
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break


def wipe(folder: str, mode: int, keep: set[str]) -> None:
    """Empty a scratch folder (but for read-only mounts in `keep`), whatever modes a command left in it."""
    os.chmod(folder, mode)
    for entry in os.scandir(folder):
        if entry.path in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=_unlock)
        else:
            os.unlink(entry.path)


def _unlock(function, path: str, _exc_info) -> None:
    """A folder a command made unreadable or unwritable: give it back to its owner, then remove it."""
    os.chmod(os.path.dirname(path), stat.S_IRWXU)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, stat.S_IRWXU)
        shutil.rmtree(path, onerror=_unlock)
    elif os.path.lexists(path):
        os.unlink(path)


def _b64(data: bytes | bytearray) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


if __name__ == "__main__":
    sys.exit(main())
