"""Short histories through real Dagster runs: a symbol with too little history is skipped by name, with the rows
it has and needs, in a WARNING, in the metadata and in the demo's summary, while the rest of the universe is
forecast; when no symbol qualifies, the run fails with one line that names them (the failure's metadata holds the
shortfalls) and the demo says so in one sentence."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, ExecuteInProcessResult, instance_for_test, materialize

from forge_assets.live_models import live_models_asset
from forge_assets.metadata import SHORT_HISTORIES, skipped_from
from forge_core.data.synthetic import SyntheticSource
from forge_core.live.registry import load_set
from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.tracking import default_tracking_config
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.demo import short_histories
from tests.assets.test_baselines import BY_NAME, check_results, forecasts, resources, run

HAR = BY_NAME["har_forecasts"]
LIVE = live_models_asset([HAR])
FIRST, LAST = dt.date(2016, 1, 4), dt.date(2019, 6, 28)
SHORT_DAYS = 100  # the short symbol's history: its last 100 days


def build(path: Path, short: set[str]) -> Path:
    """Three synthetic symbols over FIRST .. LAST; those in ``short`` keep only their last SHORT_DAYS days."""
    bars = SyntheticSource(3, seed=7, start=FIRST, today=LAST).load(FIRST, LAST)
    recent = bars.groupby("symbol")["date"].rank(ascending=False) <= SHORT_DAYS
    with open_warehouse(path) as conn:
        build_market_tables(
            conn, bars[~bars["symbol"].isin(short) | recent].reset_index(drop=True), DEFAULT_TARGETS
        )
    return path


@pytest.fixture
def one_short(tmp_path: Path) -> Path:
    """SYN000 and SYN001 since 2016, SYN002 for its last 100 days."""
    return build(tmp_path / "w.duckdb", {"SYN002"})


def warnings_of(instance: DagsterInstance, result: ExecuteInProcessResult) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]


def metadata_of(result: ExecuteInProcessResult, asset: str) -> dict:  # type: ignore[type-arg]
    """The metadata of ``asset``'s first materialisation (of a run of one partition)."""
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.path == [asset]]
    return events[0].materialization.metadata


def failure_of(result: ExecuteInProcessResult):  # type: ignore[no-untyped-def]
    (failure,) = result.get_step_failure_events()
    return failure.step_failure_data.user_failure_data


def live(instance: DagsterInstance, warehouse: Path, **config: object) -> ExecuteInProcessResult:
    return materialize(
        [LIVE],
        instance=instance,
        resources=resources(warehouse),
        partition_key="rv_1d",
        run_config={"ops": {"live_models": {"config": {"families": ["har"], "combiners": [], **config}}}},
        raise_on_error=False,
    )


def test_a_short_symbol_is_named_with_its_rows_while_the_others_are_forecast(one_short: Path) -> None:
    since = dt.datetime.now(dt.UTC)
    with instance_for_test() as instance:
        walked = run(instance, [HAR], one_short, "rv_1d|2018-04-01", "rv_1d|2019-06-01")
        assert walked.success and check_results(walked) == {"har_forecasts_quality": True}
        # each window's materialisation names the symbols it skipped, the check those of the run
        windows = {
            e.partition: skipped_from(e.materialization.metadata)
            for e in walked.get_asset_materialization_events()
        }
        assert {key for key, short in windows.items() if short} == {
            f"rv_1d|2019-0{m}-01" for m in range(2, 7)
        }
        assert [s.where for s in windows["rv_1d|2019-06-01"]] == ["window 2019-06-01"]
        (check,) = [e for e in walked.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
        (skipped,) = skipped_from(check.event_specific_data.metadata)
        assert (skipped.symbol, skipped.target, skipped.short.needed) == ("SYN002", "rv_1d", 250)
        assert skipped.short.what == "purged training rows" and 0 < skipped.short.rows < SHORT_DAYS
        assert skipped.where == "window 2019-06-01, the last of 5 that skipped it"  # February .. June
        (warning,) = warnings_of(instance, walked)
        assert warning == f"too little history, not forecast: {skipped}"
        assert (
            f"SYN002 has {skipped.short.rows} purged training rows of the 250 needed (rv_1d window" in warning
        )
        rows = forecasts(one_short)
        assert set(rows["symbol"]) == {"SYN000", "SYN001"} and rows["window_start"].nunique() == 15

        fitted = live(instance, one_short)
        assert fitted.success
        assert metadata_of(fitted, "live_models")[SHORT_HISTORIES].value == {
            "SYN002": {
                "rv_1d": {
                    "rows": SHORT_DAYS - 2,  # the first day has no return, the last no realised target
                    "needed": 250,
                    "of": "purged training rows",
                    "where": f"live fit as of {LAST}",
                }
            }
        }
        champion = load_set(default_tracking_config(), "rv_1d", "champion").fitted
        assert set(champion.symbols) == {"SYN000", "SYN001"}  # the rest of the universe is fitted
        assert (
            f"too little history, not forecast: SYN002 has {SHORT_DAYS - 2} purged training rows of the 250 "
            f"needed (rv_1d live fit as of {LAST})"
        ) in warnings_of(instance, fitted)

        # the demo's summary reads what the runs recorded: the latest record per symbol and target
        summary, refused = short_histories(instance, since)
        assert not refused and summary.splitlines()[0].startswith("Skipped for too little history")
        assert summary.splitlines()[2].split() == [
            "SYN002", "rv_1d", str(SHORT_DAYS - 2), "250", "purged", "training", "rows", "live_models:", "live",
            "fit", "as", "of", str(LAST),
        ]  # fmt: skip

        # no symbol with enough rows for the live fit: one line naming each, the shortfalls in its metadata
        again = dt.datetime.now(dt.UTC)
        refused_run = live(instance, one_short, min_train_rows=10**6)
        assert not refused_run.success
        failure = failure_of(refused_run)
        assert failure.description.startswith(
            f"rv_1d: no symbol has enough history for a live model on rows realised by {LAST} (SYN000: "
        )
        assert failure.description.endswith("more days of data, or a lower min_train_rows")
        assert {s.symbol for s in skipped_from(failure.metadata)} == {"SYN000", "SYN001", "SYN002"}
        sentence, refused = short_histories(instance, again)
        assert refused and sentence.startswith("No symbol has enough history to forecast: SYN000 has ")
        assert sentence.endswith(
            f"SYN002 has {SHORT_DAYS - 2} purged training rows of the 1000000 needed (rv_1d live fit as of {LAST})."
        )


def test_no_symbol_with_enough_history_fails_the_run_in_one_line(tmp_path: Path) -> None:
    all_short = build(tmp_path / "w.duckdb", {"SYN000", "SYN001", "SYN002"})
    since = dt.datetime.now(dt.UTC)
    with instance_for_test() as instance:
        result = run(instance, [HAR], all_short, "rv_1d|2019-02-01", "rv_5d|2019-06-01")
        sentence, refused = short_histories(instance, since)
    assert not result.success and check_results(result) == {}  # refused before any check: nothing written
    assert forecasts(all_short).empty
    failure = failure_of(result)
    shortfalls = skipped_from(failure.metadata)
    assert {(s.symbol, s.target) for s in shortfalls} == {
        (symbol, target) for symbol in ("SYN000", "SYN001", "SYN002") for target in ("rv_1d", "rv_5d")
    }
    assert all(
        s.short.rows < 250 and s.where == "window 2019-06-01, the last of 5 that skipped it"
        for s in shortfalls
    )
    nearest = [s for s in shortfalls if s.target == "rv_1d"]  # fewer rows purged for rv_5d
    assert failure.description == (
        "har: no symbol has enough history to fit in 10 of the run's windows (from 2019-02-01), which were not "
        f"written: {', '.join(map(str, nearest))}; backfill later windows, or lower min_train_rows"
    )
    assert not [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert (
        refused and sentence == f"No symbol has enough history to forecast: {', '.join(map(str, nearest))}."
    )
