"""What runs by itself under the daemon: the evening schedule of the daily job and the retraining sensor.

Both start STOPPED (the embedded instance has no daemon); with ``dagster-daemon run`` (or ``dagster dev``) turn them
on in the UI's Automation tab, or by ``dagster schedule start`` / ``dagster sensor start``.

A retraining registers a challenger; the champion (whose training days the drift report compares with, and whose
fitted QLIKE the degradation check compares with) changes only when the challenger wins its shadow days. So a drift
or a degradation keeps being reported until then, and retraining again would replace the challenger before it is
judged. The cooldown gives each triggered challenger its trial: FORGE_RETRAIN_COOLDOWN_DAYS weekdays (default 60,
the promotion's shadow days) plus the target's horizon (a shadow forecast is scored h days after it is made).
A failed retraining registered nothing, so it holds nothing back.
"""

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    EventLogRecord,
    RunRequest,
    RunsFilter,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    schedule,
    sensor,
)

from forge_assets.forecast_monitoring import RETRAIN_TARGETS
from forge_assets.partitions import live_days
from forge_core import settings
from forge_core.data.schema import VIX_SYMBOLS
from forge_core.date_window import DateWindow
from forge_core.targets import configured_targets
from forge_jobs.jobs import daily_job, retrain_job
from forge_resources import MarketDataResource

EVENING = "30 17 * * 1-5"  # weekdays, after the US close
NEW_YORK = "America/New_York"
TRIGGERS = (AssetKey("forecast_scores"), AssetKey("drift_report"))
TRIGGER_TAG = "forge/retrain_trigger"  # the report a retraining answers (asset, partition, targets)
DAY_TAG = "forge/trigger_day"
PARTITION_TAG = "dagster/partition"
CATCHUP_DAYS = settings.CATCHUP_DAYS.default  # weekdays the schedule looks back for days it missed
COOLDOWN_DAYS = settings.RETRAIN_COOLDOWN_DAYS.default  # a challenger's trial, weekdays (plus horizon)
FAILED = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)
SHOWN = 5


def catchup_days() -> int:
    """FORGE_CATCHUP_DAYS (weekdays >= 0), default ``CATCHUP_DAYS``; SettingError naming a bad value."""
    return settings.CATCHUP_DAYS.value()


def _missed_days(context: ScheduleEvaluationContext, day: dt.date, catchup: int) -> list[dt.date]:
    """The live days after the last day the daily job was run for and before ``day``, at most ``catchup``
    weekdays back, whose daily forecasts were never materialised; none before the job's first run."""
    runs = context.instance.get_runs(RunsFilter(job_name=daily_job.name), limit=20)
    ran = [dt.date.fromisoformat(r.tags[PARTITION_TAG]) for r in runs if PARTITION_TAG in r.tags]
    if catchup == 0 or not ran:
        return []
    span_start = dt.date.fromisoformat(str(np.busday_offset(day, -catchup, roll="forward")))
    first = max(span_start, max(ran) + dt.timedelta(days=1))
    done = context.instance.get_materialized_partitions(AssetKey("daily_forecasts"))
    days = [first + dt.timedelta(days=i) for i in range((day - first).days)]
    return [d for d in days if live_days.has_partition_key(d.isoformat()) and d.isoformat() not in done]


@schedule(
    cron_schedule=EVENING,
    job=daily_job,
    execution_timezone=NEW_YORK,
    default_status=DefaultScheduleStatus.STOPPED,
    description=(
        "The day's close after 17:30 New York on weekdays: ingest, features, targets, forecasts, scores. Catches "
        "up the days since the last day it ran, at most FORGE_CATCHUP_DAYS weekdays back (default "
        f"{CATCHUP_DAYS}; 0: none), that have a bar and no daily forecasts yet, e.g. after the daemon was down."
    ),
)
def daily_forecast_schedule(
    context: ScheduleEvaluationContext, market_data: MarketDataResource
) -> list[RunRequest] | SkipReason:
    """Requests today's live-day partition once the source has a bar of a traded symbol dated today, and each
    missed day of the catch-up span with a bar (oldest first; run keys ``daily-<day>``, so a day is never run twice
    by the schedule); skips (saying why) otherwise: a day that is no session of the source's trading calendar (a
    holiday: "no trading session on <day>"), or a session whose bars have not arrived (e.g. the bundled data, which
    ends on 2018-12-31), naming the source's last day.

    Dagster itself catches up missed ticks only for schedules built from a partition set; this one evaluates the
    latest tick alone after a daemon outage, so it looks back itself."""
    day = context.scheduled_execution_time.date()  # in New York
    key = day.isoformat()
    if not live_days.has_partition_key(key):
        last = live_days.get_last_partition_key()
        return SkipReason(
            f"{key} is not a live day (the last is {last}): see FORGE_LIVE_START_DATE, FORGE_END_DATE"
        )
    calendar = market_data.trading_calendar()
    if not calendar.is_session(day):
        return SkipReason(f"no trading session on {key} ({calendar.name} calendar)")
    days = [*_missed_days(context, day, catchup_days()), day]
    sessions = set(calendar.sessions(days[0], day))
    bars = market_data.load(DateWindow(days[0], day + dt.timedelta(days=1))).bars
    traded = bars[~bars["symbol"].isin(VIX_SYMBOLS)]
    with_bars = set(pd.to_datetime(traded["date"]).dt.date) & sessions
    if day not in with_bars:
        span = market_data.available_span()
        held = f"its last day is {span[1]}" if span is not None else "it holds no bars"
        return SkipReason(
            f"no new bar for the session {key} in the '{market_data.source}' market data source ({held}): "
            "late data, requested by a later evening once it arrives (FORGE_CATCHUP_DAYS)"
        )
    return [RunRequest(run_key=f"daily-{d}", partition_key=d.isoformat()) for d in days if d in with_bars]


def _targets_to_retrain(metadata: dict[str, object]) -> list[str]:
    """The targets a materialisation's metadata asks to retrain: degraded champions, or every target on drift."""
    entry = metadata.get(RETRAIN_TARGETS)
    value = getattr(entry, "value", entry)
    return sorted(str(t) for t in value) if isinstance(value, list) else []


def _attempt(context: SensorEvaluationContext, trigger: str) -> int | None:
    """The attempt number for ``trigger``'s retraining: None while one is queued, running or done; else one more
    than its failed runs (a failed retraining can be retried: Dagster never relaunches a run key)."""
    runs = context.instance.get_runs(RunsFilter(tags={TRIGGER_TAG: trigger}))
    if any(run.status not in FAILED for run in runs):
        return None
    return len(runs) + 1


def cooldown_days() -> int:
    """FORGE_RETRAIN_COOLDOWN_DAYS (weekdays >= 0), default ``COOLDOWN_DAYS``; SettingError naming a bad value."""
    return settings.RETRAIN_COOLDOWN_DAYS.value()


def _on_trial(context: SensorEvaluationContext, target: str, day: dt.date, cooldown: int) -> str | None:
    """The day of ``target``'s last triggered retraining that did not fail, when it was fewer than ``cooldown``
    weekdays before ``day``; None otherwise."""
    runs = context.instance.get_runs(
        RunsFilter(job_name=retrain_job.name, tags={PARTITION_TAG: target}), limit=20
    )
    days = [
        dt.date.fromisoformat(r.tags[DAY_TAG]) for r in runs if DAY_TAG in r.tags and r.status not in FAILED
    ]
    recent = [d for d in days if d <= day and np.busday_count(d, day) < cooldown]
    return str(max(recent)) if recent else None


def retrain_requests(
    context: SensorEvaluationContext, records: Sequence, cooldown: int = COOLDOWN_DAYS
) -> tuple[list[RunRequest], list[str]]:
    """The retraining runs the new report materialisations call for (one per target, from the first report that
    asks for it; none during a target's trial, ``cooldown`` + its horizon weekdays), and why others were skipped."""
    horizons = {spec.name: spec.horizon for spec in configured_targets()}
    requests, skipped = [], []
    requested: dict[str, str] = {}  # target -> the trigger already answered in this evaluation
    for record in records:
        mat = record.asset_materialization
        if mat is None or mat.partition is None:
            continue
        targets = _targets_to_retrain(dict(mat.metadata))
        day = dt.date.fromisoformat(mat.partition)
        for target in targets:
            trigger = f"{mat.asset_key.to_user_string()}:{mat.partition}:{target}"
            trial = cooldown + horizons.get(target, 0)
            attempt = _attempt(context, trigger)
            if attempt is None:
                skipped.append(f"{trigger} already retrained")
            elif target in requested:
                skipped.append(f"{trigger}: {target} is retrained for {requested[target]}")
            elif (last := _on_trial(context, target, day, trial)) is not None:
                skipped.append(
                    f"{target} retrained on {last}, fewer than {trial} weekdays before {day}: its challenger "
                    "is on trial"
                )
            else:
                requested[target] = trigger
                requests.append(
                    RunRequest(
                        run_key=f"{trigger}#{attempt}",
                        partition_key=target,
                        tags={TRIGGER_TAG: trigger, DAY_TAG: day.isoformat()},
                    )
                )
        if not targets:
            skipped.append(f"{mat.asset_key.to_user_string()} {mat.partition}: nothing degraded or drifted")
    return requests, skipped


@sensor(
    job=retrain_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description=(
        "Retrains a target when a new forecast_scores (or drift_report) materialisation says its champion degraded "
        "(or the features drifted): one retraining per target and evaluation, then none for that target during its "
        f"challenger's trial (FORGE_RETRAIN_COOLDOWN_DAYS weekdays, default {COOLDOWN_DAYS}, plus its horizon)."
    ),
)
def retrain_on_drift_or_degradation(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    after = int(context.cursor) if context.cursor else None
    records: list[EventLogRecord] = []
    for key in TRIGGERS:
        found = context.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, after_storage_id=after), limit=100, ascending=True
        )
        records.extend(found.records)
    if not records:
        return SkipReason("no new forecast_scores or drift_report materialisation")
    records.sort(key=lambda r: r.storage_id)
    requests, skipped = retrain_requests(context, records, cooldown_days())
    cursor = str(records[-1].storage_id)
    if not requests:
        return SensorResult(skip_reason="; ".join(skipped[:SHOWN]) or "nothing to retrain", cursor=cursor)
    return SensorResult(run_requests=requests, cursor=cursor)
