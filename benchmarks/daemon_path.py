"""The daemon path against the job run in process: what a run launched the way the schedule and the UI launch it
costs beyond its work.

    python benchmarks/daemon_path.py [--symbols 2,500] [--families har,log_har] [--executors in_process,multiprocess]
                                     [--repeats 2] [--json PATH] [--keep DIR]

Per symbol count, the set-up of ``benchmarks/daily_load.py`` (a fresh FORGE_HOME on the embedded instance, the
synthetic market from 2016, ``--families`` walked forward and every target retrained; ``--keep`` reuses it), then
``daily_job`` for 2018-12-31:

1. ``first``, in process (not a measure): the month's first run, which fits and stores the month's regime models,
   so every measured run below does the same work (the day re-run with them stored);
2. ``in_process``: the job run in a fresh process by ``forge_jobs.launch.run_job`` (what the demo does), timed
   from the call to its end, imports excluded (``--repeats`` times), and the whole process's wall time with them;
3. per executor of ``--executors``: ``make ui`` (``forge_jobs.ui``: webserver and daemon) started on the instance
   with ``FORGE_EXECUTOR`` set to it and left to load its code location (warm), then the job launched through the
   webserver's GraphQL API (``launchRun``, as the UI's Launchpad; the schedule's runs take the same queue, the
   daemon dequeues them and the run launcher starts a run worker through the code server), timed from the
   request until GraphQL reports the run finished (``--repeats`` times): queueing, the run worker's start and
   imports, and each step's process where the executor starts one, included.

Prints a table per symbol count with the ratio of each run to the median in-process job (imports done) and to the
median fresh process that ran it in process (imports included); writes JSON with ``--json``. The aim: the default
executor's daemon path within 1.5x of the job in process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.daily_load import DAY, environment, run_child, set_up  # noqa: E402

AIM_RATIO = 1.5
QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
STATUS = "query ($id: ID!) { runOrError(runId: $id) { ... on Run { status startTime endTime } } }"
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def graphql(port: int, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        data: dict[str, Any] = json.load(reply)["data"]
    return data


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2):
            return True
    except OSError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def ui(env: dict[str, str], log: Path) -> Iterator[int]:
    """``forge_jobs.ui`` on the instance of ``env``, its code location loaded; the webserver's port."""
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "forge_jobs.ui", "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the UI did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        query = "{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { name } } } }"
        while not graphql(port, query, {})["repositoriesOrError"].get("nodes"):  # the code location loaded
            time.sleep(0.5)
        time.sleep(5)  # the daemon's first ticks
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def daemon_run(port: int) -> dict[str, Any]:
    """``daily_job`` for DAY launched through GraphQL; the seconds from the request until the run finished."""
    params = {
        "selector": {
            "repositoryLocationName": "volatilityforge",
            "repositoryName": "__repository__",
            "jobName": "daily_job",
        },
        "runConfigData": QUIET,
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAY}]},
    }
    started = time.perf_counter()
    reply = graphql(port, LAUNCH, {"params": params})["launchRun"]
    if reply["__typename"] != "LaunchRunSuccess":
        raise SystemExit(f"launchRun refused: {reply}")
    run_id = reply["run"]["runId"]
    while True:
        run = graphql(port, STATUS, {"id": run_id})["runOrError"]
        if run["status"] in FINISHED:
            break
        time.sleep(0.25)
    wall = time.perf_counter() - started
    return {
        "run_id": run_id,
        "success": run["status"] == "SUCCESS",
        "wall_s": round(wall, 1),
        "dagster_run_s": round(run["endTime"] - run["startTime"], 1),  # from the worker's start to the end
    }


def in_process_run(env: dict[str, str], label: str) -> dict[str, Any]:
    """One fresh child running the job through ``run_job`` (``daily_load``'s measure); its wall time with imports."""
    started = time.perf_counter()
    measured = run_child(label, env, [])
    measured["process_s"] = round(time.perf_counter() - started, 1)
    return measured


def measure(symbols: int, args: argparse.Namespace, scratch: Path) -> list[dict[str, Any]]:
    home = (args.keep or scratch) / "home"
    shutil.rmtree(home, ignore_errors=True)
    env = environment(home, symbols)
    set_up(home, env, symbols, args.families, args.keep)
    print(f"{symbols} symbols: daily_job {DAY}, the month's first run (regime models) ...", flush=True)
    first = in_process_run(env, "first")
    if not first["success"]:
        raise SystemExit(f"the first run failed: {first['failures']}")
    rows = []
    for repeat in range(args.repeats):
        done = in_process_run(env, "again")
        rows.append({"symbols": symbols, "path": "in_process (run_job)", "repeat": repeat, **done})
        print(f"  in process: {done['wall_s']} s (process with imports {done['process_s']} s)", flush=True)
    for executor in args.executors.split(","):
        with ui({**env, "FORGE_EXECUTOR": executor}, scratch / f"ui-{symbols}-{executor}.log") as port:
            for repeat in range(args.repeats):
                done = daemon_run(port)
                rows.append({"symbols": symbols, "path": f"daemon ({executor})", "repeat": repeat, **done})
                print(f"  daemon path, {executor} executor: {done}", flush=True)
    shutil.rmtree(home)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", default="2,500")
    parser.add_argument("--families", default="har,log_har")
    parser.add_argument("--executors", default="in_process,multiprocess")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--keep", type=Path, help="keep (and reuse) each symbol count's set-up in this folder"
    )
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="forge-daemon-") as scratch:
        for symbols in (int(n) for n in args.symbols.split(",")):
            rows.extend(measure(symbols, args, Path(scratch)))
    print(f"\ndaily_job {DAY}, 3 targets, members {args.families} + every ensemble, regime models stored")
    print(
        "x job: to the job's median time in process (imports done); x process: to the median wall time of the"
    )
    print("fresh process that ran it in process, its imports included")
    print(f"{'symbols':>8} {'path':<24} {'wall s':>8} {'x job':>7} {'x process':>10} {'ok':>4}")
    verdicts = []
    for symbols in sorted({row["symbols"] for row in rows}):
        mine = [row for row in rows if row["symbols"] == symbols]
        in_process = [r for r in mine if r["path"].startswith("in_process")]
        job = statistics.median(r["wall_s"] for r in in_process)
        process = statistics.median(r["process_s"] for r in in_process)
        for row in mine:
            row["ratio"] = round(row["wall_s"] / job, 2)
            row["ratio_to_process"] = round(row.get("process_s", row["wall_s"]) / process, 2)
            ok = "yes" if row["success"] else "NO"
            print(
                f"{symbols:>8} {row['path']:<24} {row['wall_s']:>8} {row['ratio']:>7} "
                f"{row['ratio_to_process']:>10} {ok:>4}"
            )
        default = [r for r in mine if r["path"] == "daemon (in_process)"]
        if default:
            verdicts.append(all(r["success"] and r["ratio"] <= AIM_RATIO for r in default))
    if verdicts:
        print(f"aim (daemon path, default executor, <= {AIM_RATIO}x in process): "
              f"{'met' if all(verdicts) else 'NOT met'}")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"day": DAY, "families": args.families, "rows": rows}, indent=1) + "\n"
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
