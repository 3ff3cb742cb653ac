"""Per-partition metadata on the bundled data: a backfill of windows run as one run materialises each partition
of a forecasts asset once, with its own row count and windows table, as the warehouse holds them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, AssetRecordsFilter, instance_for_test

from forge_core.market_tables import build_market_tables
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse
from tests.assets.test_baselines import BY_NAME, own_metadata, run, windows_table

FAMILIES = ("har", "ewma")
# two targets x November and December 2018 (21 and 19 trading days): four partitions, two row counts
FIRST, LAST = "rv_1d|2018-11-01", "rv_5d|2018-12-01"
PARTITIONS = {f"{target}|2018-{month}-01" for target in ("rv_1d", "rv_5d") for month in (11, 12)}


@pytest.fixture
def bundled_market(bundled_bars: pd.DataFrame, tmp_path: Path) -> Path:
    """The bundled S&P 500, NASDAQ and VIX bars from 2016 on, built into a warehouse."""
    warehouse = tmp_path / "bundled.duckdb"
    recent = bundled_bars[bundled_bars["date"] >= "2016-01-01"].reset_index(drop=True)
    with open_warehouse(warehouse) as conn:
        build_market_tables(conn, recent, DEFAULT_TARGETS)
    return warehouse


def test_each_partition_of_a_backfill_run_shows_its_own_rows_and_window(bundled_market: Path) -> None:
    with instance_for_test() as instance:
        result = run(instance, [BY_NAME[f"{f}_forecasts"] for f in FAMILIES], bundled_market, FIRST, LAST)
        assert result.success and len(instance.get_runs()) == 1
        for family in FAMILIES:
            asset = f"{family}_forecasts"
            found = own_metadata(instance, result.run_id, asset, bundled_market, "forecasts", model=family)
            assert set(found) == PARTITIONS
            counts = {key: metadata["dagster/row_count"].value for key, metadata in found.items()}
            # the two indices (VIX is a feature, not forecast) on each trading day of the window
            assert (counts["rv_1d|2018-11-01"], counts["rv_1d|2018-12-01"]) == (2 * 21, 2 * 19)
            for key, metadata in found.items():
                (row,) = windows_table(metadata["windows_table"].value)
                assert int(row["forecasts"]) == counts[key] and int(row["symbols"]) == 2
                # the latest materialisation of the partition, as the UI shows it, is this one
                (latest,) = instance.fetch_materializations(
                    AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[key]), limit=1
                ).records
                assert latest.asset_materialization.metadata == metadata
            with open_warehouse(bundled_market, read_only=True) as conn:
                (total,) = conn.execute(
                    "SELECT count(*) FROM forecasts WHERE model = $m", {"m": family}
                ).fetchone()
            assert sum(counts.values()) == total
