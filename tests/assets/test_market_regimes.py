"""The market regimes as a Dagster asset: windows written once each (re-running replaces), probabilities summing to
one per symbol and day, each window's own metadata beside the run's figure; a window without enough past is refused,
nothing written."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test, materialize

from forge_assets.market_regimes import market_regimes
from forge_core.warehouse.connection import open_warehouse
from forge_resources import WarehouseResource
from tests.assets.test_baselines import own_metadata


def regimes_run(
    instance: DagsterInstance, warehouse: Path, first: str, last: str, fit_days: int
) -> ExecuteInProcessResult:
    return materialize(
        [market_regimes],
        instance=instance,
        resources={"warehouse": WarehouseResource(path=str(warehouse))},
        run_config={"ops": {"market_regimes": {"config": {"fit_days": fit_days}}}},
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


def stored(warehouse: Path):  # type: ignore[no-untyped-def]
    with open_warehouse(warehouse, read_only=True) as conn:
        return conn.execute("SELECT * EXCLUDE (created_at) FROM regimes ORDER BY ALL").df()


def test_windows_of_regimes_are_written_once(market: Path) -> None:
    with instance_for_test() as instance:
        refused = regimes_run(instance, market, "2016-02-01", "2016-02-01", 500)
        assert not refused.success and "before 2016-02-01" in str(
            refused.get_step_failure_events()[0].event_specific_data
        )
        assert stored(market).empty

        for _ in range(2):
            result = regimes_run(instance, market, "2018-06-01", "2018-07-01", 600)
            assert result.success
        # one materialisation per window of the single run, with its own rows; the figure of the run's windows
        found = own_metadata(instance, result.run_id, "market_regimes", market, "regimes")
    assert all("run_figure_regimes" in metadata for metadata in found.values())
    rows = stored(market)
    assert sorted(rows["window_start"].astype(str).unique()) == ["2018-06-01", "2018-07-01"]
    assert not rows.duplicated(["symbol", "date", "regime"]).any() and set(rows["regime"]) == {0, 1}
    assert (rows.groupby(["symbol", "date"])["probability"].sum() - 1).abs().max() < 1e-9
    with open_warehouse(market, read_only=True) as conn:
        models = conn.execute("SELECT * FROM regime_models ORDER BY ALL").df()
    assert len(models) == 2 * rows["symbol"].nunique()  # one model per window and symbol, replaced on re-run
    assert set(models["window_start"].astype(str)) == {"2018-06-01", "2018-07-01"}
