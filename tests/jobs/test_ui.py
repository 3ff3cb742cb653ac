"""``make ui`` (``python -m forge_jobs.ui``): the real webserver and daemon on the embedded instance start without
warnings about the repository's files or Dagster's beta features, answer on their port, and are gone, code
servers included, within five seconds of Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port

REPO = Path(__file__).parents[2]
START_S = 240
STOP_S = 5.0


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def _running_with(forge_home: Path) -> list[int]:
    """Processes (not zombies) other than this one whose environment names ``forge_home``: the UI, its webserver
    and daemon, and the code servers they started."""
    marker = f"FORGE_HOME={forge_home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0") and (
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
            ):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def test_the_ui_starts_clean_and_stops_within_seconds(forge_home: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        ui = subprocess.Popen(
            [sys.executable, "-m", "forge_jobs.ui", "--port", str(port)],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + START_S
            while not _answers(f"http://127.0.0.1:{port}/server_info"):
                assert ui.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"no answer on port {port} after {START_S} s"
                time.sleep(1)
            time.sleep(3)  # the daemon's first lines
            assert len(_running_with(forge_home)) >= 4  # the UI, webserver, daemon and a code server at least
            ui.send_signal(signal.SIGINT)
            stopped = time.monotonic()
            while _running_with(forge_home) and time.monotonic() - stopped < 30:
                time.sleep(0.1)
            took = time.monotonic() - stopped
        finally:
            for pid in _running_with(forge_home):
                os.kill(pid, signal.SIGKILL)
            ui.wait()
    text = log.read_text()
    assert took <= STOP_S, f"still running {took:.1f} s after Ctrl-C:\n{text}"
    assert f"Dagster instance: {forge_home / 'dagster'}" in text
    warnings = [line for line in text.splitlines() if "WARNING" in line or "Warning:" in line]
    assert warnings == [], "\n".join(warnings)
