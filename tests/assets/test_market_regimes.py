"""The market regimes as a Dagster asset: windows written once each (re-running replaces), probabilities summing to
one per symbol and day, the figure in the metadata; a window without enough past is refused, nothing written."""

from __future__ import annotations

from pathlib import Path

from dagster import materialize

from forge_assets.market_regimes import market_regimes
from forge_core.warehouse.connection import open_warehouse
from forge_resources import WarehouseResource


def regimes_run(warehouse: Path, first: str, last: str, fit_days: int):  # type: ignore[no-untyped-def]
    return materialize(
        [market_regimes],
        resources={"warehouse": WarehouseResource(path=str(warehouse))},
        run_config={"ops": {"market_regimes": {"config": {"fit_days": fit_days}}}},
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def stored(warehouse: Path):  # type: ignore[no-untyped-def]
    with open_warehouse(warehouse, read_only=True) as conn:
        return conn.execute("SELECT * EXCLUDE (created_at) FROM regimes ORDER BY ALL").df()


def test_windows_of_regimes_are_written_once(market: Path) -> None:
    refused = regimes_run(market, "2016-02-01", "2016-02-01", 500)
    assert not refused.success and "before 2016-02-01" in str(
        refused.get_step_failure_events()[0].event_specific_data
    )
    assert stored(market).empty

    for _ in range(2):
        result = regimes_run(market, "2018-06-01", "2018-07-01", 600)
        assert result.success
    rows = stored(market)
    assert sorted(rows["window_start"].astype(str).unique()) == ["2018-06-01", "2018-07-01"]
    assert not rows.duplicated(["symbol", "date", "regime"]).any() and set(rows["regime"]) == {0, 1}
    assert (rows.groupby(["symbol", "date"])["probability"].sum() - 1).abs().max() < 1e-9
    events = result.get_asset_materialization_events()  # one per window of the single run
    assert len(events) == 2 and all("figure_regimes" in e.materialization.metadata for e in events)
    with open_warehouse(market, read_only=True) as conn:
        models = conn.execute("SELECT * FROM regime_models ORDER BY ALL").df()
    assert len(models) == 2 * rows["symbol"].nunique()  # one model per window and symbol, replaced on re-run
    assert set(models["window_start"].astype(str)) == {"2018-06-01", "2018-07-01"}
