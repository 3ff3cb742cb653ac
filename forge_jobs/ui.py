"""The Dagster UI on this machine's instance: ``python -m forge_jobs.ui [--port 3000]`` (``make ui``).

Starts the webserver (``dagster-webserver``) and the daemon (``dagster-daemon run``: the schedule, the sensor and
the run queue) on the instance that ``DAGSTER_HOME`` names, or else the embedded one (``FORGE_HOME/dagster``,
SQLite, made safely by ``forge_jobs.instance``), and says which. Each runs in a process group of its own, with
the code servers it starts; on Ctrl-C or TERM both groups get TERM and, after ``GRACE_S`` seconds, KILL, so the
command is gone within about five seconds (``dagster dev`` waits up to a minute for its children). Runs still in
progress stop with it.

The processes run from the instance's folder, not the repository's: the repository's ``dagster.yaml`` is the
production configuration (Postgres, see the README), not this instance's, and ``dagster dev`` warned about it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from forge_jobs.instance import dagster_instance
from forge_jobs.launch import WORKSPACE

GRACE_S = 3.0
DEFAULT_HOST = "127.0.0.1"  # the UI has no authentication: reachable from this machine only, unless told
BIN = Path(sys.executable).parent


def _commands(host: str, port: int) -> dict[str, list[str]]:
    return {
        "webserver": [str(BIN / "dagster-webserver"), "-w", str(WORKSPACE), "-h", host, "-p", str(port)],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)],
    }


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """TERM to every child's process group, then KILL to what is left after ``GRACE_S``."""
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(deadline - time.monotonic(), 0.0))
        _signal_group(child, signal.SIGKILL)  # the group's code servers too, even if the leader has exited
    for child in children:
        child.wait()


def _signal_group(child: subprocess.Popen[bytes], which: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, which)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    instance = dagster_instance()  # sets DAGSTER_HOME to the embedded instance when none is named
    home = Path(os.environ["DAGSTER_HOME"])
    print(f"Dagster instance: {home} ({type(instance.run_storage).__name__})", flush=True)
    print(f"Dagster UI: http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    children = [
        subprocess.Popen(command, cwd=home, start_new_session=True)
        for command in _commands(args.host, args.port).values()
    ]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            _stop(children)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    if not stopping:  # one of them died by itself: take the other down and report it
        stop(signal.SIGTERM, None)
        return next((c.returncode for c in children if c.returncode not in (None, 0)), 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
