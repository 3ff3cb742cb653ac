"""Ingestion never deletes what it was not given; empty ranges and changed target definitions are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test, materialize

from forge_assets.market_data import daily_features, raw_prices, targets
from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.quality import targets_quality
from forge_resources import MarketDataResource, WarehouseResource
from tests.assets.test_market_data_assets import TABLES, failure_message, snapshot

ASSETS = [raw_prices, daily_features, targets]
FIRST, LAST = "2024", "2024"  # the year partition; the deliveries cover January-March


def run(
    instance: DagsterInstance,
    warehouse: Path,
    folder: Path,
    first: str = FIRST,
    last: str = LAST,
    **config: object,
) -> ExecuteInProcessResult:
    return materialize(
        ASSETS,
        instance=instance,
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "market_data": MarketDataResource(source="files", files_path=str(folder)),
        },
        run_config={"ops": {name: {"config": c} for name, c in config.items()}} if config else None,
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def bars() -> pd.DataFrame:
    frame = SyntheticSource(2, seed=4, start=dt.date(2024, 1, 1), include_vix=False).load(
        dt.date(2024, 1, 1), dt.date(2024, 3, 29)
    )
    return frame.drop(columns="adj_close").assign(date=frame["date"].dt.strftime("%Y-%m-%d"))


def deliver(folder: Path, frame: pd.DataFrame) -> Path:
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    frame.to_csv(folder / "bars.csv", index=False)
    return folder


def of(tables: dict[str, pd.DataFrame], symbol: str) -> dict[str, pd.DataFrame]:
    return {t: frame[frame["symbol"] == symbol].reset_index(drop=True) for t, frame in tables.items()}


@pytest.fixture
def stored(tmp_path: Path) -> tuple[DagsterInstance, Path, Path]:
    """Two symbols ingested over January-March 2024 from a folder of files."""
    with instance_for_test() as instance:
        warehouse, folder = tmp_path / "w.duckdb", deliver(tmp_path / "incoming", bars())
        assert run(instance, warehouse, folder).success
        yield instance, warehouse, folder


def test_a_folder_with_one_of_two_symbols_leaves_the_other_untouched(
    stored: tuple[DagsterInstance, Path, Path],
) -> None:
    instance, warehouse, folder = stored
    before = snapshot(warehouse)
    revised = bars().query("symbol == 'SYN001'").assign(volume=lambda f: f["volume"] * 2)
    result = run(instance, warehouse, deliver(folder, revised))

    assert result.success
    after = snapshot(warehouse)
    for table in TABLES:  # SYN000's bars, features and targets are exactly as they were
        pd.testing.assert_frame_equal(of(after, "SYN000")[table], of(before, "SYN000")[table], obj=table)
    assert (
        of(after, "SYN001")["raw_prices"]["volume"] == 2 * of(before, "SYN001")["raw_prices"]["volume"]
    ).all()
    metadata = result.asset_materializations_for_node("raw_prices")[0].metadata
    n = len(revised)
    assert {k: metadata[f"bars_{k}"].value for k in ("added", "replaced", "removed", "kept")} == {
        "added": 0,
        "replaced": n,
        "removed": 0,
        "kept": len(of(before, "SYN000")["raw_prices"]),
    }


def test_a_shorter_range_keeps_the_days_outside_it(stored: tuple[DagsterInstance, Path, Path]) -> None:
    instance, warehouse, folder = stored
    before = snapshot(warehouse)
    february = bars().query("symbol == 'SYN000' and date >= '2024-02-01' and date < '2024-03-01'")
    assert run(instance, warehouse, deliver(folder, february)).success
    assert_frame = pd.testing.assert_frame_equal
    assert_frame(snapshot(warehouse)["raw_prices"], before["raw_prices"])  # same bars delivered again


def test_a_delivery_with_fewer_days_is_refused_unless_told_to_replace(
    stored: tuple[DagsterInstance, Path, Path],
) -> None:
    instance, warehouse, folder = stored
    before = snapshot(warehouse)
    gappy = bars().query("not (symbol == 'SYN000' and date in ['2024-02-06', '2024-02-07'])")
    deliver(folder, gappy)

    refused = run(instance, warehouse, folder)
    assert not refused.success
    message = failure_message(refused)
    for fragment in ("SYN000", "2 of", "first: 2024-02-06", "allow_shrink", "nothing was written"):
        assert fragment in message, f"{fragment!r} missing from: {message}"
    assert "SYN001" not in message
    for table in TABLES:
        pd.testing.assert_frame_equal(snapshot(warehouse)[table], before[table], obj=table)

    replaced = run(instance, warehouse, folder, raw_prices={"allow_shrink": True})
    assert replaced.success
    stored_days = pd.to_datetime(snapshot(warehouse)["raw_prices"].query("symbol == 'SYN000'")["date"])
    assert not stored_days.isin(pd.to_datetime(["2024-02-06", "2024-02-07"])).any()
    assert replaced.asset_materializations_for_node("raw_prices")[0].metadata["bars_removed"].value == 2


def test_a_range_without_data_is_refused_with_the_available_bounds(
    stored: tuple[DagsterInstance, Path, Path],
) -> None:
    instance, warehouse, folder = stored
    before = snapshot(warehouse)
    result = run(instance, warehouse, folder, "2022", "2023")
    assert not result.success
    message = failure_message(result)
    for fragment in (
        "no bars for 2022-01-01 .. 2024-01-01 (exclusive)",
        "2024-01-01 .. 2024-03-29",
        "Nothing was written",
    ):
        assert fragment in message, f"{fragment!r} missing from: {message}"
    for table in TABLES:
        pd.testing.assert_frame_equal(snapshot(warehouse)[table], before[table], obj=table)


def test_a_changed_target_definition_is_refused_then_replaced_whole(
    stored: tuple[DagsterInstance, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, warehouse, folder = stored
    monkeypatch.setenv("FORGE_TARGETS", "rv_1d=1,rv_5d=10,rv_22d=22")
    before = snapshot(warehouse)
    result = run(instance, warehouse, folder)
    assert not result.success
    message = failure_message(result)
    for fragment in (
        "rv_5d: declared with horizon 10 on parkinson",
        "with horizon 5 on parkinson",
        "replace_changed",
    ):
        assert fragment in message, f"{fragment!r} missing from: {message}"
    pd.testing.assert_frame_equal(snapshot(warehouse)["targets"], before["targets"])

    config = {"targets": {"replace_changed_definitions": True}}
    assert run(instance, warehouse, folder, **config).success
    stored_targets = snapshot(warehouse)["targets"]
    assert set(stored_targets.query("target == 'rv_5d'")["horizon"]) == {
        10
    }  # the old definition is gone whole
    with open_warehouse(warehouse, read_only=True) as conn:
        (duplicates,) = conn.execute(
            "SELECT count(*) - count(DISTINCT (symbol, date, target)) FROM targets"
        ).fetchone()
    assert duplicates == 0


def test_a_targets_window_that_should_hold_rows_but_holds_none_fails_its_check(
    stored: tuple[DagsterInstance, Path, Path],
) -> None:
    _, warehouse, _ = stored
    march = DateWindow(dt.date(2024, 3, 1), dt.date(2024, 4, 1))
    declared = [(spec.name, spec.horizon) for spec in DEFAULT_TARGETS]
    with open_warehouse(warehouse) as conn:
        assert targets_quality(conn, march, declared).passed
        conn.execute(
            "DELETE FROM targets WHERE target = 'rv_5d' AND realised_on >= DATE '2024-03-01'"
        )  # a writer bug
        report = targets_quality(conn, march, declared)
    assert report.defects == {"declared_targets_missing_from_the_window": 1}
    early = DateWindow(
        dt.date(2024, 1, 2), dt.date(2024, 1, 4)
    )  # too little history for any target yet: fine
    with open_warehouse(warehouse, read_only=True) as conn:
        assert targets_quality(conn, early, [("rv_22d", 22)]).passed
