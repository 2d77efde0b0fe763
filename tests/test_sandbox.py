"""book/sandbox.py: a confined command sees only what it needs, stops at its limits and leaves nothing behind."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from book.sandbox import ENV, WORKDIR, Sandbox, SandboxError, _interpreter, run_confined

LIMITS = {"time_limit": 20, "memory_limit": 512 << 20, "output_limit": 1 << 20}


def processes_running(marker: str) -> list[int]:
    """Host processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry.name))
    return found


def sh(script: str, workdir: Path | None = None, **limits: float) -> tuple[str, str]:
    result = run_confined(["sh", "-c", script], workdir, **{**LIMITS, **limits})
    assert result.limit_exceeded is None, result
    return result.stdout.decode(), result.stderr.decode()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside any sandbox's view, as a contributor would target one."""
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text("SANDBOX-SECRET-7f3a\n", encoding="utf-8")
    return path


def test_nothing_outside_the_view_can_be_read_or_written(secret: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    out, err = sh(f"cat {secret}; cat /etc/hostname /etc/passwd; ls /root {Path.home()} {Path.cwd()}; "
                  f"echo x > {secret.parent}/written; echo x > /usr/written; echo x > /written; "
                  f"echo kept > {WORKDIR}/kept; ls /", workdir)
    assert "SANDBOX-SECRET" not in out + err
    assert not (secret.parent / "written").exists()
    assert (workdir / "kept").read_text() == "kept\n"  # the scratch folder is the one place it may write
    python_top = {Path(bind).parts[1] for bind in _interpreter()[1][1::3]}
    allowed = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "dev", "proc", "tmp", "example", "rust"}
    assert set(out.split()) <= allowed | python_top, out


def test_a_fixed_view_and_environment_whatever_the_host_folder(tmp_path: Path) -> None:
    seen = []
    for name in ("one", "two-elsewhere"):
        (tmp_path / name).mkdir()
        seen.append(run_confined(["/usr/bin/env"], tmp_path / name, **LIMITS).stdout.decode())
        seen.append(sh("pwd; hostname; id -u; ls -a /proc/1/cwd 2>&1", tmp_path / name)[0])
    assert seen[0] == seen[2] == "".join(f"{k}={v}\n" for k, v in ENV.items())
    assert seen[1] == seen[3]
    assert seen[1].startswith(f"{WORKDIR}\nexample\n1000\n")
    assert "Permission denied" in seen[1]  # PID 1, the supervisor, cannot be inspected


def test_no_network(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        python = _interpreter()[0]
        code = ("import socket\ntry:\n socket.create_connection(('127.0.0.1', %d), timeout=5); print('connected')\n"
                "except OSError as e: print(type(e).__name__)" % port)
        out, _ = sh(f"{python} -I -S -c \"{code}\"", tmp_path)
        assert out.strip() in ("ConnectionRefusedError", "OSError")
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # the build is over: a connection would be waiting here


def test_no_process_outlives_its_command() -> None:
    marker = "sleep 297.5"
    result = run_confined(["sh", "-c", f"setsid {marker} & ({marker} </dev/null >/dev/null 2>&1 &); nohup {marker} "
                                       ">/dev/null 2>&1 & echo started"], None, **LIMITS)
    assert result.stdout == b"started\n" and result.seconds < 10
    assert processes_running(marker) == []


def test_each_command_starts_clean_and_cannot_change_the_program(tmp_path: Path) -> None:
    program = tmp_path / "program"
    program.write_text("#!/bin/sh\necho original\n")
    program.chmod(0o755)
    with Sandbox(files={"example": program}) as sandbox:
        first = sandbox.run(["sh", "-c", "mkdir -p d/e /tmp/t; touch d/e/f /tmp/t/g; chmod 000 d/e d /tmp/t; "
                                         "echo changed > example; rm -f example; ./example"], **LIMITS)
        second = sandbox.run(["sh", "-c", "ls -A . /tmp; ./example"], **LIMITS)
    assert first.stdout == b"original\n"
    assert second.stdout == b".:\nexample\n\n/tmp:\noriginal\n"
    assert program.read_text() == "#!/bin/sh\necho original\n"


def test_time_limit() -> None:
    result = run_confined(["sh", "-c", "sleep 296.5 & sleep 296.5"], None, **{**LIMITS, "time_limit": 1})
    assert result.timed_out and result.limit_exceeded == "time"
    assert 1 <= result.seconds < 15
    assert processes_running("sleep 296.5") == []


def test_output_limit() -> None:
    result = run_confined(["sh", "-c", "yes 'a line of output'"], None, **{**LIMITS, "output_limit": 10_000})
    assert result.output_exceeded and result.limit_exceeded == "output"
    assert len(result.stdout) + len(result.stderr) == 10_000


def test_memory_limit() -> None:
    python = _interpreter()[0]
    code = "b = bytearray(64 << 20); print('small is fine'); b = bytearray(1 << 30)"
    result = run_confined([python, "-I", "-S", "-c", code], None, **{**LIMITS, "memory_limit": 256 << 20})
    assert result.memory_exceeded and result.limit_exceeded == "memory"
    assert result.stdout == b"small is fine\n" and result.exit_code != 0


def test_stdin_is_passed_and_closed() -> None:
    data = bytes(range(256)) * 1000
    result = run_confined(["sh", "-c", "wc -c"], None, **LIMITS, stdin=data)
    assert result.stdout.strip() == str(len(data)).encode()


def test_a_host_folder_bound_as_scratch_is_never_wiped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The supervisor empties /tmp before each command: a host folder mounted there by mistake must be refused."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "precious").write_text("keep me")
    command = Sandbox._command

    def host_folder_over_tmp(self: Sandbox) -> list[str]:
        argv = command(self)
        last_remount = len(argv) - 1 - argv[::-1].index("--remount-ro")
        return argv[:last_remount] + ["--bind", str(host), "/tmp"] + argv[last_remount:]

    monkeypatch.setattr(Sandbox, "_command", host_folder_over_tmp)
    with pytest.raises(SandboxError, match="refusing to use /tmp as a scratch folder"):
        run_confined(["true"], None, **LIMITS)
    assert (host / "precious").read_text() == "keep me"


def test_a_limit_above_the_builds_own_hard_limit_is_lowered_to_it() -> None:
    """Under `ulimit -v` lower than a command's memory limit, the command runs with the lower limit (the
    campaign's R05 got a supervisor traceback: no process may raise its hard limit)."""
    import resource
    import subprocess
    import sys

    hard = 3 << 30
    probe = ("import resource\nfrom book.sandbox import run_confined\n"
             "r = run_confined(['sh', '-c', 'ulimit -v'], None, time_limit=20, memory_limit=4 << 30, output_limit=4096)\n"
             "print(r.stdout.decode().strip(), r.exit_code)\n")

    def lower() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))

    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, preexec_fn=lower,
                         cwd=Path(__file__).resolve().parent.parent, timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert run.stdout.split() == [str(hard // 1024), "0"], run.stdout
