"""The market data assets through real Dagster runs on real DuckDB files."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from dagster import (
    AssetCheckEvaluation,
    DagsterEventType,
    DagsterInstance,
    ExecuteInProcessResult,
    instance_for_test,
    materialize,
)

from forge_assets.market_data import daily_features, raw_prices, targets
from forge_core.data.synthetic import SyntheticSource
from forge_core.warehouse.connection import open_warehouse
from forge_resources import MarketDataResource, WarehouseResource

ASSETS = [raw_prices, daily_features, targets]
TABLES = ("raw_prices", "splits", "daily_features", "targets")


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with instance_for_test() as instance:
        yield instance


def run_range(
    instance: DagsterInstance,
    warehouse: Path,
    first: str,
    last: str,
    assets: list | None = None,
    **market: object,
) -> ExecuteInProcessResult:
    """Materialise ``assets`` for the years first..last as one run, the way a UI backfill does."""
    return materialize(
        assets or ASSETS,
        instance=instance,
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "market_data": MarketDataResource(**market),
        },
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def snapshot(warehouse: Path) -> dict[str, pd.DataFrame]:
    with open_warehouse(warehouse, read_only=True) as conn:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY ALL").df() for table in TABLES}


def assert_same_tables(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(actual[table], expected[table], obj=table)


def failure_message(result: ExecuteInProcessResult) -> str:
    (failure,) = result.get_step_failure_events()
    error = failure.step_failure_data.error
    return (error.cause or error).message


def test_the_whole_graph_on_real_data_runs_as_one_run(tmp_path: Path, instance: DagsterInstance) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = run_range(instance, warehouse, "2013", "2014", source="bundled")

    assert result.success
    assert len(instance.get_runs()) == 1
    for key in ASSETS:
        assert instance.get_materialized_partitions(key.key) == {"2013", "2014"}
    checks = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert {e.event_specific_data.check_name for e in checks} == {
        *(f"{a.key.to_user_string()}_quality" for a in ASSETS),
        "raw_prices_plausibility",
        "raw_prices_gaps",
        "raw_prices_splits",
    }
    assert all(e.event_specific_data.passed for e in checks)  # real index data: no gap, no split

    tables = snapshot(warehouse)
    raw = tables["raw_prices"]
    assert set(raw["symbol"]) == {"^GSPC", "^IXIC", "^VIX"}
    assert pd.to_datetime(raw["date"]).between("2013-01-01", "2014-12-31").all()
    assert len(raw[raw["symbol"] == "^GSPC"]) == 252 + 252  # NYSE trading days of 2013 and 2014
    assert len(tables["daily_features"]) == 2 * 503  # every traded bar but each symbol's first
    assert set(tables["targets"]["target"]) == {"rv_1d", "rv_5d", "rv_22d"}

    materialization = result.asset_materializations_for_node("raw_prices")[0]
    assert materialization.metadata["dagster/row_count"].value > 0
    assert "| symbol" in materialization.metadata["preview"].value


def test_rerunning_a_range_and_a_single_year_gives_the_same_rows(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    warehouse = tmp_path / "w.duckdb"
    market = {"source": "synthetic", "synthetic_symbols": 3, "synthetic_start": "2022-01-03"}
    assert run_range(instance, warehouse, "2022", "2024", **market).success
    first = snapshot(warehouse)
    assert run_range(instance, warehouse, "2023", "2024", **market).success
    single_year = materialize(
        ASSETS,
        instance=instance,
        partition_key="2023",
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "market_data": MarketDataResource(**market),
        },
    )
    assert single_year.success
    assert_same_tables(snapshot(warehouse), first)


def test_a_failing_blocking_check_stops_the_assets_downstream(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    warehouse = tmp_path / "w.duckdb"
    market = {"source": "synthetic", "synthetic_symbols": 2, "synthetic_start": "2023-01-02"}
    assert run_range(instance, warehouse, "2023", "2023", **market).success
    with open_warehouse(warehouse) as conn:  # corrupt a stored bar behind the platform's back
        conn.execute("UPDATE raw_prices SET low = 0 WHERE date = DATE '2023-02-15' AND symbol = 'SYN000'")

    result = run_range(instance, warehouse, "2023", "2023", [daily_features, targets], **market)

    assert not result.success
    (check,) = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    assert check.event_specific_data.check_name == "daily_features_quality"
    assert not check.event_specific_data.passed
    assert not result.asset_materializations_for_node("targets")


def _write_csv(folder: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / "bars.csv", index=False, date_format="%Y-%m-%d")


def _set(row: int, column: str, value: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({column: object})
        frame.loc[row, column] = value
        return frame

    return edit


def _scale(row: int, factor: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[row, ["open", "high", "low", "close"]] *= factor
        return frame

    return edit


NEXT_WEEK = dt.date.today() + dt.timedelta(days=7)
BAD_INPUTS: dict[str, tuple[Callable[[pd.DataFrame], pd.DataFrame], list[str]]] = {
    "missing column": (lambda f: f.drop(columns="low"), ["bars.csv", "low"]),
    "unparsable date": (_set(5, "date", "2024-13-45"), ["bars.csv", "row 7", "date", "2024-13-45"]),
    "unparsable number": (_set(5, "close", "12,5x"), ["bars.csv", "row 7", "close", "12,5x"]),
    "duplicate symbol and date": (lambda f: pd.concat([f, f.iloc[[3]]]), ["bars.csv", "SYN000", "duplicate"]),
    "non-positive price": (_set(5, "open", -3.0), ["bars.csv", "row 7", "SYN000", "open", "-3"]),
    "high below open or close": (_set(5, "high", 1.0), ["bars.csv", "row 7", "high"]),
    "low above open or close": (_set(5, "low", 10_000.0), ["bars.csv", "row 7", "low"]),
    "NaN value": (_set(5, "close", "nan"), ["bars.csv", "row 7", "close"]),
    "infinite value": (_set(5, "volume", "inf"), ["bars.csv", "row 7", "volume"]),
    "negative volume": (_set(5, "volume", -10.0), ["bars.csv", "row 7", "volume", "-10"]),
    "dates out of order": (
        lambda f: f.iloc[[0, 1, 3, 2, *range(4, len(f))]],
        ["bars.csv", "row 5", "SYN000", "2024-01-03", "not after the previous row"],
    ),
    "date in the future": (_set(5, "date", str(NEXT_WEEK)), ["bars.csv", "row 7", str(NEXT_WEEK), "future"]),
    "empty input": (lambda f: f.iloc[:0], ["bars.csv", "no rows"]),
    "implausible jump": (_scale(5, 10.0), ["bars.csv", "row 7", "SYN000", "daily log return beyond"]),
}


def delivered_bars() -> pd.DataFrame:
    """Two synthetic symbols over January-March 2024, as a delivered CSV holds them."""
    bars = SyntheticSource(2, seed=4, start=dt.date(2024, 1, 1), include_vix=False).load(
        dt.date(2024, 1, 1), dt.date(2024, 3, 29)
    )
    return bars.drop(columns="adj_close").assign(date=bars["date"].dt.strftime("%Y-%m-%d"))


@pytest.mark.parametrize("kind", list(BAD_INPUTS))
def test_bad_input_fails_with_a_precise_error_and_writes_nothing(
    tmp_path: Path, instance: DagsterInstance, kind: str
) -> None:
    folder, warehouse = tmp_path / "incoming", tmp_path / "w.duckdb"
    folder.mkdir()
    good = delivered_bars()
    _write_csv(folder, good)
    market = {"source": "files", "files_path": str(folder)}
    assert run_range(instance, warehouse, "2024", "2024", **market).success
    before = snapshot(warehouse)

    edit, fragments = BAD_INPUTS[kind]
    _write_csv(folder, edit(good))
    result = run_range(instance, warehouse, "2024", "2024", **market)

    assert not result.success
    message = failure_message(result)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert_same_tables(snapshot(warehouse), before)


def test_in_flag_mode_an_implausible_bar_is_stored_and_reported_by_a_warning_check(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    folder, warehouse = tmp_path / "incoming", tmp_path / "w.duckdb"
    folder.mkdir()
    good = delivered_bars()
    _write_csv(folder, _scale(5, 10.0)(good))
    market = {"source": "files", "files_path": str(folder)}

    refused = run_range(instance, warehouse, "2024", "2024", **market)
    assert not refused.success and "daily log return beyond" in failure_message(refused)

    flagged = run_range(instance, warehouse, "2024", "2024", **market, plausibility="flag")
    assert flagged.success  # the warning does not block features and targets
    checks = {
        e.event_specific_data.check_name: e.event_specific_data
        for e in flagged.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }
    warning = checks["raw_prices_plausibility"]
    assert not warning.passed and warning.severity.value == "WARN"
    assert warning.metadata["implausible_bars"].value >= 1
    assert "row 7" in warning.metadata["flagged"].value and "SYN000" in warning.metadata["flagged"].value
    assert checks["raw_prices_quality"].passed
    assert len(snapshot(warehouse)["raw_prices"]) == len(good)  # the flagged bar is stored with the others


def _checks(result: ExecuteInProcessResult) -> dict[str, AssetCheckEvaluation]:
    return {
        e.event_specific_data.check_name: e.event_specific_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
    }


def test_a_suspected_split_and_a_gap_are_warnings_naming_symbol_day_and_the_way_out(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    folder, warehouse = tmp_path / "incoming", tmp_path / "w.duckdb"
    folder.mkdir()
    bars = delivered_bars()
    dates = bars["date"]
    split = (bars["symbol"] == "SYN000") & (dates < "2024-02-12")  # a 2:1 split on Monday 2024-02-12
    bars.loc[split, ["open", "high", "low", "close"]] *= 2
    bars = bars[~((bars["symbol"] == "SYN001") & dates.between("2024-01-16", "2024-02-09"))]  # 19 weekdays
    _write_csv(folder, bars)

    result = run_range(instance, warehouse, "2024", "2024", source="files", files_path=str(folder))

    assert result.success  # warnings: features and targets are built
    checks = _checks(result)
    splits, gaps = checks["raw_prices_splits"], checks["raw_prices_gaps"]
    assert (
        not splits.passed
        and splits.severity.value == "WARN"
        and splits.metadata["suspected_splits"].value == 1
    )
    listed = splits.metadata["suspected"].value
    assert "SYN000 on 2024-02-12" in listed and "2:1 split" in listed
    advice = splits.metadata["how_to_proceed"].value
    assert "adj_close" in advice and str(folder / "splits.csv") in advice
    assert not gaps.passed and gaps.metadata["gaps"].value == 1
    assert (
        "SYN001: no bar for 19 weekdays between 2024-01-15 and 2024-02-12"
        in gaps.metadata["gaps_found"].value
    )
    warnings = [
        e.message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING and e.message
    ]
    assert any("suspected split: SYN000 on 2024-02-12" in m for m in warnings)
    assert any("gap: SYN001" in m for m in warnings)

    (folder / "splits.csv").write_text("symbol,date,ratio\nSYN000,2024-02-12,2:1\n")
    fixed = run_range(instance, warehouse, "2024", "2024", source="files", files_path=str(folder))
    assert fixed.success and _checks(fixed)["raw_prices_splits"].passed
    tables = snapshot(warehouse)
    assert tables["splits"][["symbol", "ratio"]].values.tolist() == [["SYN000", 2.0]]
    features = tables["daily_features"].set_index(["symbol", "date"])
    assert abs(features.loc[("SYN000", pd.Timestamp("2024-02-12")), "log_return"]) < 0.1


@pytest.mark.parametrize(
    ("line", "fragments"),
    [
        ("SYN000,2024-02-30,2:1", ["splits.csv", "row 2", "symbol SYN000", "column 'date'", "2024-02-30"]),
        (
            "SYN000,2024-02-12,2 for 1",
            ["splits.csv", "row 2", "date 2024-02-12", "column 'ratio'", "2 for 1"],
        ),
        ("ZZZ,2024-02-12,2:1", ["splits.csv", "row 2", "symbol ZZZ", "date 2024-02-12", "unknown symbol"]),
    ],
)
def test_a_bad_splits_file_fails_naming_the_problem_and_writes_nothing(
    tmp_path: Path, instance: DagsterInstance, line: str, fragments: list[str]
) -> None:
    folder, warehouse = tmp_path / "incoming", tmp_path / "w.duckdb"
    folder.mkdir()
    _write_csv(folder, delivered_bars())
    market = {"source": "files", "files_path": str(folder)}
    assert run_range(instance, warehouse, "2024", "2024", **market).success
    before = snapshot(warehouse)

    (folder / "splits.csv").write_text(f"symbol,date,ratio\n{line}\n")
    result = run_range(instance, warehouse, "2024", "2024", **market)

    assert not result.success
    message = failure_message(result)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert_same_tables(snapshot(warehouse), before)


def test_a_lost_warehouse_is_never_recreated_empty_when_the_instance_saw_it_written(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    """With the file and its snapshot gone, the instance's materialisations still say there was data: refused,
    naming the file and the asset, and no empty file is made."""
    warehouse = tmp_path / "warehouse.duckdb"
    assert run_range(instance, warehouse, "2018", "2018", [raw_prices], source="bundled").success
    warehouse.unlink()
    for snapshot_file in tmp_path.glob("warehouse.read*"):
        snapshot_file.unlink()
    again = run_range(instance, warehouse, "2018", "2018", [raw_prices], source="bundled")
    assert not again.success and not warehouse.exists()
    error = str(again.get_step_failure_events()[0].event_specific_data)
    assert (
        f"warehouse {warehouse} is missing but the Dagster instance records raw_prices materialised" in error
    )
    with instance_for_test() as fresh:  # a new instance has seen nothing: a first build is allowed
        assert run_range(fresh, warehouse, "2018", "2018", [raw_prices], source="bundled").success
