"""A schedule tick missed while the daemon was down: Dagster's own scheduler iteration (the code the daemon runs),
on the Postgres instance of the repository's dagster.yaml with the code location served by a gRPC process,
evaluated at Monday's close and then, after an outage, at Friday's. The days in between are caught up (one run
each, oldest first) or, with FORGE_CATCHUP_DAYS=0, skipped; evaluating again never requests a day twice.

Needs the CI Postgres; fails without it.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dagster import DagsterInstance
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time, load_remote_repo
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._scheduler.scheduler import launch_scheduled_runs
from dagster._time import get_current_datetime

from tests.conftest import postgres_instance, throwaway_database

REPO = Path(__file__).parents[2]
NEW_YORK = ZoneInfo("America/New_York")
MONDAY, FRIDAY = dt.date(2019, 7, 1), dt.date(2019, 7, 5)  # the synthetic market trades every weekday


def close_of(day: dt.date, minute: int = 31) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(17, minute), tzinfo=NEW_YORK)


def requested_days(instance: DagsterInstance) -> list[str]:
    runs = instance.get_runs()
    return sorted(run.tags["dagster/partition"] for run in runs if run.job_name == "daily_job")


def tick(context, when: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(when):
        list(launch_scheduled_runs(context, logging.getLogger("scheduler"), get_current_datetime(), {}))


@pytest.mark.parametrize(
    ("catchup", "expected"),
    [
        ("", ["2019-07-01", "2019-07-02", "2019-07-03", "2019-07-04", "2019-07-05"]),
        ("0", ["2019-07-01", "2019-07-05"]),
    ],
)
def test_a_missed_tick_is_caught_up_or_skipped_as_configured(
    catchup: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with throwaway_database("forge_schedule") as database:
        for name, value in {
            **postgres_instance(tmp_path / "dagster_home", database),
            "FORGE_SOURCE": "synthetic",
            "FORGE_SYNTHETIC_SYMBOLS": "2",
            "FORGE_SYNTHETIC_START": "2018-01-02",
            "FORGE_CATCHUP_DAYS": catchup,
        }.items():
            monkeypatch.setenv(name, value)
        with (
            DagsterInstance.get() as instance,
            create_test_daemon_workspace_context(
                WorkspaceFileTarget(paths=[str(REPO / "workspace.yaml")]), instance
            ) as context,
        ):
            schedule = load_remote_repo(context, "__repository__").get_schedule("daily_forecast_schedule")
            with freeze_time(close_of(MONDAY, 0)):
                instance.start_schedule(schedule)
            tick(context, close_of(MONDAY))
            assert requested_days(instance) == ["2019-07-01"]
            # the daemon is down from Monday night to Friday evening: no iteration in between
            tick(context, close_of(FRIDAY))
            assert requested_days(instance) == expected
            tick(context, close_of(FRIDAY, 45))  # a restarted daemon evaluating again requests nothing twice
            assert requested_days(instance) == expected
