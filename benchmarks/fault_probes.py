"""The fault probes of the faults issue, each run as the suite's test that reproduces it; prints the table and
writes benchmarks/results/faults_probes.txt and .json.

Every probe names the failure a user met (or a behaviour that held and must keep holding) and the tests that
inject it on real processes, real DuckDB files, real Dagster instances, MLflow stores and tmpfs mounts. A probe
passes when every one of its tests passes; its evidence is the test's name (a sentence saying what it asserts), its
time, and for a failure the first line of the error. Nothing here is hard-coded: the table is what pytest reported
on this machine. ``python benchmarks/fault_probes.py [--only NAME,...] [--out PATH]``
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "faults_probes.txt"

# probe -> (what was seen or must keep holding, the tests that inject it)
PROBES: dict[str, tuple[str, tuple[str, ...]]] = {
    "refused daily close": (
        "a refusal inside market_close's targets step left the day's bars and features committed",
        (
            "tests/core/test_market_close.py::test_a_refused_targets_step_leaves_all_three_tables_as_they_were",
        ),
    ),
    "missing warehouse file": (
        "with warehouse.duckdb deleted, daily_job made an empty warehouse and published it over the snapshot",
        (
            "tests/core/test_reader_snapshots.py::test_a_missing_warehouse_is_never_recreated_empty_over_its_snapshot",
            "tests/core/test_reader_snapshots.py::test_a_snapshot_is_never_replaced_by_a_warehouse_that_lost_a_table_or_its_rows",
            "tests/assets/test_market_data_assets.py::test_a_lost_warehouse_is_never_recreated_empty_when_the_instance_saw_it_written",
        ),
    ),
    "corrupt or deleted champion file": (
        "a truncated member file stopped every target with an anonymous JSONDecodeError",
        ("tests/core/live/test_broken_sets.py", "tests/assets/test_broken_live_sets.py"),
    ),
    "pool holder killed while another run waits": (
        "the waiting run stayed blocked until some other launch ran the dead-run recovery",
        ("tests/jobs/test_waiting_runs.py",),
    ),
    "kill during retraining": (
        "8 registered versions no alias points to, one MLflow run RUNNING for good, a second run for the window",
        (
            "tests/jobs/test_state_folder.py::test_a_kill_during_a_retraining_leaves_no_litter",
            "tests/jobs/test_state_folder.py::test_a_kill_during_a_backfill_leaves_no_litter",
        ),
    ),
    "state folder copied": (
        "MLflow kept absolute artifact paths into the original .forge; ./mlruns written in the working folder",
        (
            "tests/jobs/test_state_folder.py::test_a_copied_state_folder_works_on_its_own_files",
            "tests/core/tracking/test_relocation.py",
        ),
    ),
    "disk full (4 MB and 0 bytes free)": (
        "headline 'cannot rollback - no transaction is active'; at 0 bytes advice to move intact history aside",
        ("tests/jobs/test_disk_full.py",),
    ),
    "bad environment variables": (
        "FORGE_TARGETS='rv_1d=abc' gave a 21-line traceback; pydantic errors without the variable's name",
        ("tests/core/test_settings.py",),
    ),
    "empty date window": (
        "FORGE_START_DATE after FORGE_END_DATE created a run that failed with 'empty date window'",
        ("tests/core/test_settings.py::test_settings_that_depend_on_each_other",),
    ),
    "weekday holiday": (
        "daily_job on a holiday failed with 'source has no bars'",
        (
            "tests/assets/test_holidays.py",
            "tests/jobs/test_automation.py::test_the_schedule_skips_a_day_that_is_no_session",
            "tests/core/test_trading_calendar.py",
        ),
    ),
    "unknown symbol": (
        "'no daily features on 2018-12-31 for [NOPE]' instead of 'unknown symbol', also for ^VIX",
        ("tests/core/live/test_serving.py",),
    ),
    "relaunch of the same day": (
        "the live day's features differed from the yearly rebuild by 1e-16: 36 new MLflow versions per relaunch",
        (
            "tests/core/test_market_close.py::test_a_close_writes_what_the_whole_span_build_writes",
            "tests/core/forecasting/test_resume.py::test_a_column_only_some_models_read_refits_only_those",
            "tests/assets/test_rerun_noop.py",
        ),
    ),
    # held in the last round: must keep holding
    "kill -9 of a run, SIGTERM, a waiting run": (
        "held: the next launch recovers; SIGTERM stops a run in seconds, even while it waits on a pool",
        ("tests/jobs/test_dead_runs.py",),
    ),
    "first starts and kills during store creation": (
        "held: four first starts at once succeed; half-made Dagster, MLflow and Optuna stores are repaired",
        (
            "tests/jobs/test_instance_creation.py",
            "tests/core/tracking/test_store_creation.py",
            "tests/core/tuning/test_storage_creation.py",
        ),
    ),
    "one-symbol and shrinking folders": (
        "held: a folder with fewer symbols or days deletes nothing unless told to",
        (
            "tests/assets/test_ingestion.py::test_a_folder_with_one_of_two_symbols_leaves_the_other_untouched",
            "tests/assets/test_ingestion.py::test_a_delivery_with_fewer_days_is_refused_unless_told_to_replace",
        ),
    ),
    "bad partition ranges": (
        "held: refused in one sentence before any run exists",
        ("tests/jobs/test_run_config_errors.py",),
    ),
    "a target re-declared": (
        "held: refused naming the stored definition, nothing written, unless replaced whole",
        ("tests/assets/test_ingestion.py::test_a_changed_target_definition_is_refused_then_replaced_whole",),
    ),
    "readers during writes": (
        "held: snapshot readers see whole partitions and never keep the writer out",
        (
            "tests/core/test_reader_snapshots.py::test_readers_see_whole_partitions_and_never_keep_the_writer_out",
        ),
    ),
    "a writer killed mid-write": (
        "held: a failed or killed partition write leaves the table as it was",
        ("tests/core/test_warehouse.py::test_a_failed_partition_write_leaves_the_table_as_it_was",),
    ),
    "Postgres restarts": (
        "held: runs ride out or fail in one line; re-runs resume equal to an unbroken run",
        ("tests/jobs/test_postgres_restart.py",),
    ),
}


@dataclass(frozen=True)
class Probe:
    """One probe's result: PASS when every test of it passed."""

    probe: str
    verdict: str
    seen: str
    evidence: str
    seconds: float


def _results(report: Path) -> dict[str, tuple[str, float, str]]:
    """Per test node id in the junit report: outcome, seconds and the first line of a failure."""
    found = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/")
        node = f"{module}.py::{case.get('name')}"
        problem = case.find("failure")
        problem = problem if problem is not None else case.find("error")
        skipped = case.find("skipped")
        outcome = "failed" if problem is not None else "skipped" if skipped is not None else "passed"
        message = (problem.get("message") or "") if problem is not None else ""
        found[node] = (outcome, float(case.get("time", 0)), message.splitlines()[0] if message else "")
    return found


def _matches(node: str, selector: str) -> bool:
    return node == selector or node.startswith(selector + "::") or node.split("[")[0] == selector


def run_probes(names: list[str]) -> list[Probe]:
    selectors = sorted({t for name in names for t in PROBES[name][1]})
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "probes.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                *selectors,
            ],
            cwd=REPO,
            check=False,
        )
        results = _results(report) if report.exists() else {}
    probes = []
    for name in names:
        seen, tests = PROBES[name]
        cases = {n: r for n, r in results.items() if any(_matches(n, t) for t in tests)}
        failed = {n: r for n, r in cases.items() if r[0] != "passed"}
        missing = [t for t in tests if not any(_matches(n, t) for n in cases)]
        verdict = "PASS" if cases and not failed and not missing else "FAIL"
        if failed:
            node, (outcome, _, message) = next(iter(failed.items()))
            evidence = f"{node.split('::')[-1]} {outcome}: {message}"
        elif missing:
            evidence = f"no test ran for {', '.join(missing)}"
        else:
            evidence = f"{len(cases)} test(s) passed, e.g. {next(iter(cases)).split('::')[-1]}"
        probes.append(Probe(name, verdict, seen, evidence, round(sum(r[1] for r in cases.values()), 1)))
    return probes


def table(probes: list[Probe]) -> str:
    lines = [f"{'probe':<48} {'verdict':<7} {'s':>7}  evidence", "-" * 140]
    for p in probes:
        lines.append(f"{p.probe:<48} {p.verdict:<7} {p.seconds:>7.1f}  {p.evidence}")
        lines.append(f"{'':<48} {'':<7} {'':>7}  was: {p.seen}")
    passed = sum(p.verdict == "PASS" for p in probes)
    lines.append(f"{passed} of {len(probes)} probes pass")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default="", help="comma-separated probe names (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(PROBES)
    unknown = sorted(set(names) - set(PROBES))
    if unknown:
        parser.error(f"unknown probes {unknown}; known: {sorted(PROBES)}")
    started = time.perf_counter()
    probes = run_probes(names)
    text = table(probes)
    machine = f"{platform.platform()}, {platform.processor()}, python {platform.python_version()}"
    footer = f"ran in {time.perf_counter() - started:.0f} s on {machine}, {time.strftime('%Y-%m-%d')}"
    print(text + "\n" + footer)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n" + footer + "\n")
    args.out.with_suffix(".json").write_text(json.dumps([asdict(p) for p in probes], indent=2) + "\n")
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    sys.exit(0 if all(p.verdict == "PASS" for p in probes) else 1)


if __name__ == "__main__":
    main()
