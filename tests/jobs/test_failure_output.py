"""A failed run shows its validation error once, first, with no stack trace: in the console and in the UI."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import instance_for_test

from forge_jobs.definitions import build_definitions

BAD = "symbol,date,open,high,low,close,volume\nAAA,2024-01-02,10,11,9,10.5,1000\nAAA,2024-01-03,10,9,9.5,10,1000\n"
PROBLEM = "a.csv, row 3, symbol AAA, date 2024-01-03, column 'high': high is below low"


def test_invalid_market_data_is_reported_once_without_a_stack_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a.csv").write_text(BAD)
    monkeypatch.setenv("FORGE_SOURCE", "files")
    monkeypatch.setenv("FORGE_FILES_PATH", str(folder))
    monkeypatch.setenv("FORGE_WAREHOUSE", str(tmp_path / "w.duckdb"))
    job = build_definitions().resolve_job_def("market_data_job")
    with instance_for_test() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            tags={
                "dagster/asset_partition_range_start": "2024",
                "dagster/asset_partition_range_end": "2024",
            },
            raise_on_error=False,
        )
    assert not result.success
    (failure,) = result.get_step_failure_events()
    description = failure.step_failure_data.user_failure_data.description  # what the UI shows for the step
    assert description.startswith("invalid market data, 1 problem:") and PROBLEM in description
    console = capfd.readouterr().err
    assert console.count(PROBLEM) == 1
    assert "Stack Trace" not in console and "Traceback" not in console
    assert console.index("raw_prices failed: invalid market data") < console.index("RUN_FAILURE")
    assert not (tmp_path / "w.duckdb").exists()  # nothing was written
