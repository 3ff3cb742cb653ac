"""Option and quote data as Dagster assets: the synthetic market's chains and summaries land with their features
and passing checks (re-running replaces, never doubles); a source without options writes nothing and says so; a bad
quote file is refused with nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from dagster import ExecuteInProcessResult, materialize

from forge_assets.market_data import daily_features, raw_prices
from forge_assets.option_data import market_features, option_features, option_quotes, quote_summaries
from forge_core.data.synthetic import SyntheticSource
from forge_core.warehouse.connection import open_warehouse
from forge_resources import MarketDataResource, WarehouseResource

ASSETS = [raw_prices, daily_features, option_quotes, quote_summaries, option_features, market_features]
TABLES = ("option_quotes", "quote_summaries", "option_features", "market_features")


def run(warehouse: Path, market_data: MarketDataResource, assets: list = ASSETS) -> ExecuteInProcessResult:  # type: ignore[type-arg]
    return materialize(
        assets,
        resources={"warehouse": WarehouseResource(path=str(warehouse)), "market_data": market_data},
        partition_key="2018",
        raise_on_error=False,
    )


def counts(warehouse: Path) -> dict[str, int]:
    with open_warehouse(warehouse, read_only=True) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]) for t in TABLES}


def test_synthetic_options_land_with_their_features(tmp_path: Path) -> None:
    synthetic = MarketDataResource(source="synthetic", synthetic_symbols=2, synthetic_start="2016-01-04")
    warehouse = tmp_path / "w.duckdb"
    for _ in range(2):  # re-running the year replaces it
        result = run(warehouse, synthetic)
        assert result.success
        assert all(check.passed for check in result.get_asset_check_evaluations())
    rows = counts(warehouse)
    days = len(pd.bdate_range("2018-01-01", "2018-12-31"))
    assert rows["quote_summaries"] == rows["option_features"] == 2 * days
    assert rows["market_features"] == counts_of(warehouse, "daily_features")  # one per feature row
    assert rows["option_quotes"] > 2 * days * 60
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["option_quotes"]]
    assert event.materialization.metadata["iv_flags"].value == {"ok": rows["option_quotes"]}


def test_a_source_without_options_writes_nothing_and_bad_files_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    bars = SyntheticSource(1, seed=2, start=dt.date(2018, 1, 2)).load(
        dt.date(2018, 1, 2), dt.date(2018, 3, 30)
    )
    bars.assign(date=bars["date"].dt.strftime("%Y-%m-%d")).to_csv(folder / "bars.csv", index=False)
    files = MarketDataResource(source="files", files_path=str(folder))
    warehouse = tmp_path / "w.duckdb"
    result = run(warehouse, files, [raw_prices, daily_features, option_quotes, quote_summaries])
    assert result.success and counts_of(warehouse, "option_quotes") == 0
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["option_quotes"]]
    assert "has no option quotes" in str(event.materialization.metadata["source"].value)

    (folder / "options").mkdir()
    pd.DataFrame(
        {
            "symbol": ["SYN0"],
            "date": ["2018-01-03"],
            "expiry": ["2018-01-02"],
            "strike": ["100"],
            "option_type": ["C"],
            "bid": ["1.0"],
            "ask": ["1.1"],
            "bid_size": ["1"],
            "ask_size": ["1"],
            "underlying_price": ["100"],
        }
    ).to_csv(folder / "options" / "chain.csv", index=False)
    refused = run(warehouse, files, [option_quotes])
    assert not refused.success
    assert "expiry on or before the quote's date" in str(
        refused.get_step_failure_events()[0].event_specific_data
    )
    assert counts_of(warehouse, "option_quotes") == 0


def counts_of(warehouse: Path, table: str) -> int:
    with open_warehouse(warehouse, read_only=True) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
