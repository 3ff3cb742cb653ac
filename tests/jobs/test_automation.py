"""The evening schedule and the retraining sensor, in Dagster's own test style: a bar for the day or a clear
skip; one retraining per report and target, retried after a failure, held back by the cooldown."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    AssetMaterialization,
    DagsterInstance,
    DagsterRunStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorResult,
    SkipReason,
    asset,
    build_schedule_context,
    build_sensor_context,
    instance_for_test,
    materialize,
)
from dagster._core.storage.dagster_run import DagsterRun

from forge_assets.partitions import live_days
from forge_jobs.automation import (
    DAY_TAG,
    TRIGGER_TAG,
    daily_forecast_schedule,
    retrain_on_drift_or_degradation,
)
from forge_resources import MarketDataResource

EVENING = dt.time(17, 30, tzinfo=ZoneInfo("America/New_York"))


def evening(
    day: str, source: str = "bundled", instance: DagsterInstance | None = None
) -> list[RunRequest] | SkipReason:
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime.combine(dt.date.fromisoformat(day), EVENING),
        resources={"market_data": MarketDataResource(source=source)},
    ) as context:
        return daily_forecast_schedule(context)  # type: ignore[no-any-return]


def days(requests: list[RunRequest] | SkipReason) -> list[str | None]:
    assert isinstance(requests, list)
    return [r.partition_key for r in requests]


def test_the_schedule_runs_a_day_with_a_bar_and_skips_one_without() -> None:
    with instance_for_test() as instance:
        assert days(evening("2018-12-31", instance=instance)) == [
            "2018-12-31"
        ]  # no earlier run: nothing missed
        skipped = evening("2019-01-02", instance=instance)
        assert isinstance(skipped, SkipReason)
        # a session whose bars have not arrived: late, named with the source's last day
        assert skipped.skip_message == (
            "no new bar for the session 2019-01-02 in the 'bundled' market data source (its last day is "
            "2018-12-31): late data, requested by a later evening once it arrives (FORGE_CATCHUP_DAYS)"
        )
        assert days(evening("2019-01-02", "synthetic", instance)) == ["2019-01-02"]  # every day has a bar


def test_the_schedule_skips_a_day_that_is_no_session() -> None:
    with instance_for_test() as instance:
        holiday = evening("2018-12-25", instance=instance)
        assert isinstance(holiday, SkipReason)
        assert holiday.skip_message == "no trading session on 2018-12-25 (XNYS calendar)"
        assert isinstance(evening("2018-12-05", instance=instance), SkipReason)  # a national day of mourning
        assert days(evening("2018-12-25", "synthetic", instance)) == ["2018-12-25"]  # it trades every weekday


def test_after_an_outage_the_schedule_catches_up_the_days_it_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    with instance_for_test() as instance:
        instance.add_run(
            DagsterRun(
                job_name="daily_job", run_id=str(uuid.uuid4()), tags={"dagster/partition": "2018-12-20"}
            )
        )
        instance.report_runless_asset_event(AssetMaterialization("daily_forecasts", partition="2018-12-27"))
        # since the 19th, five weekdays back at most: 24, 26 and 28 (25 is a holiday without bars; 27's
        # forecasts exist; the 20th and 21st are more than five weekdays back), oldest first
        assert days(evening("2018-12-31", instance=instance)) == [
            "2018-12-24", "2018-12-26", "2018-12-28", "2018-12-31"
        ]  # fmt: skip
        monkeypatch.setenv("FORGE_CATCHUP_DAYS", "3")  # at most three weekdays back
        assert days(evening("2018-12-31", instance=instance)) == ["2018-12-26", "2018-12-28", "2018-12-31"]
        monkeypatch.setenv("FORGE_CATCHUP_DAYS", "0")
        assert days(evening("2018-12-31", instance=instance)) == ["2018-12-31"]
        monkeypatch.setenv("FORGE_CATCHUP_DAYS", "a week")
        with pytest.raises(
            ValueError, match="FORGE_CATCHUP_DAYS='a week': expected a whole number of weekdays >= 0"
        ):
            evening("2018-12-31", instance=instance)


@asset(name="forecast_scores", partitions_def=live_days)
def scores_report(context) -> MaterializeResult:  # type: ignore[no-untyped-def]
    degraded = ["rv_1d"] if context.partition_key >= "2019-07-01" else []
    return MaterializeResult(metadata={"retrain_targets": MetadataValue.json(degraded)})


def report(instance: DagsterInstance, day: str) -> None:
    assert materialize([scores_report], instance=instance, partition_key=day).success


def past_run(instance: DagsterInstance, status: DagsterRunStatus, **tags: str) -> None:
    run = DagsterRun(job_name="retrain_job", run_id=str(uuid.uuid4()), status=status, tags=tags)
    instance.add_run(run)


def test_one_retraining_per_report_retried_after_a_failure_and_cooled_down() -> None:
    with instance_for_test() as instance:
        report(instance, "2019-06-28")  # nothing degraded: no retraining
        quiet = retrain_on_drift_or_degradation(build_sensor_context(instance=instance))
        assert isinstance(quiet, SensorResult) and not quiet.run_requests
        report(instance, "2019-07-01")
        fired = retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=quiet.cursor))
        assert isinstance(fired, SensorResult)
        (request,) = fired.run_requests
        assert request.partition_key == "rv_1d" and request.run_key == "forecast_scores:2019-07-01:rv_1d#1"
        again = retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=fired.cursor))
        assert isinstance(again, SkipReason)  # the same report never fires twice

        trigger = request.tags[TRIGGER_TAG]
        failed = {TRIGGER_TAG: trigger, "dagster/partition": "rv_1d", DAY_TAG: "2019-07-01"}
        past_run(instance, DagsterRunStatus.FAILURE, **failed)  # registered nothing: no trial holds it back
        retried = retrain_on_drift_or_degradation(
            build_sensor_context(instance=instance, cursor=quiet.cursor)
        )
        assert isinstance(retried, SensorResult) and retried.run_requests[0].run_key.endswith("#2")
        past_run(instance, DagsterRunStatus.SUCCESS, **{TRIGGER_TAG: trigger})
        done = retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=quiet.cursor))
        assert isinstance(done, SensorResult) and not done.run_requests
        assert "already retrained" in str(done.skip_reason)

        past_run(instance, DagsterRunStatus.SUCCESS, **{"dagster/partition": "rv_1d", DAY_TAG: "2019-07-01"})
        report(instance, "2019-07-03")  # degraded again two days later: within the cooldown
        cooled = retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=fired.cursor))
        assert isinstance(cooled, SensorResult) and not cooled.run_requests
        assert "rv_1d retrained on 2019-07-01, fewer than 61 weekdays before 2019-07-03" in str(
            cooled.skip_reason
        )
        report(instance, "2019-09-23")  # the trial: 60 shadow days + h = 1; 60 weekdays after, still on trial
        assert "on trial" in str(
            retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=fired.cursor))
        )
        report(instance, "2019-09-24")
        later = retrain_on_drift_or_degradation(build_sensor_context(instance=instance, cursor=fired.cursor))
        assert isinstance(later, SensorResult) and [r.partition_key for r in later.run_requests] == ["rv_1d"]


@asset(name="drift_report", partitions_def=live_days)
def drift_alarm(context) -> MaterializeResult:  # type: ignore[no-untyped-def]
    return MaterializeResult(metadata={"retrain_targets": MetadataValue.json(["rv_1d", "rv_5d"])})


def test_a_drift_and_a_degradation_of_the_same_day_retrain_a_target_once() -> None:
    with instance_for_test() as instance:
        report(instance, "2019-07-01")
        assert materialize([drift_alarm], instance=instance, partition_key="2019-07-01").success
        result = retrain_on_drift_or_degradation(build_sensor_context(instance=instance))
        assert isinstance(result, SensorResult)
        assert sorted(r.run_key for r in result.run_requests) == [
            "drift_report:2019-07-01:rv_5d#1",
            "forecast_scores:2019-07-01:rv_1d#1",
        ]
