"""The risk and strategy backtests as Dagster assets over backfilled walk-forward forecasts: tables replaced per
target (never doubled), figures in the metadata; too little history is refused with what to backfill."""

from __future__ import annotations

from pathlib import Path

from dagster import instance_for_test, materialize

from forge_assets.risk_backtests import risk_assets
from forge_core.warehouse.connection import open_warehouse
from forge_resources import WarehouseResource
from tests.assets.test_baselines import BY_NAME, run

MEMBERS = [BY_NAME[f"{family}_forecasts"] for family in ("har", "log_har", "ewma")]
RISK, STRATEGY = risk_assets(MEMBERS)


def backtest(warehouse: Path, calibration_days: int):  # type: ignore[no-untyped-def]
    config = {"calibration_days": calibration_days}
    return materialize(
        [RISK, STRATEGY],
        resources={"warehouse": WarehouseResource(path=str(warehouse))},
        run_config={"ops": {"risk_backtest": {"config": config}, "strategy_backtest": {"config": config}}},
        raise_on_error=False,
    )


def test_risk_and_strategy_backtests_of_the_one_day_forecasts(market: Path) -> None:
    with instance_for_test() as instance:
        assert run(instance, MEMBERS, market, "rv_1d|2018-01-01", "rv_1d|2019-06-01").success
    refused = backtest(market, 2000)
    assert not refused.success
    assert "no year has 2000 earlier forecasts" in str(
        refused.get_step_failure_events()[0].event_specific_data
    )

    for _ in range(2):  # the same target again: replaced, never doubled
        result = backtest(market, 250)
        assert result.success
    with open_warehouse(market, read_only=True) as conn:
        risk = conn.execute("SELECT * FROM risk_backtests").df()
        strategies = conn.execute("SELECT * FROM strategy_backtests").df()
    assert set(risk["model"]) == {"har", "log_har", "ewma"} and set(risk["period"]) == {"2019", "all"}
    assert len(risk) == 2 * 3 * 2 * 3 * 2  # symbols x models x methods x tails x periods
    assert (risk["p_cc"].between(0, 1)).all() and (risk["violations"] <= risk["days"]).all()
    assert set(strategies["strategy"]) == {"har", "log_har", "ewma", "buy_and_hold"} and len(strategies) == 8
    assert (strategies.loc[strategies["strategy"] == "har", "sharpe_minus_har"] == 0).all()
    metadata = {
        key: value
        for event in result.get_asset_materialization_events()
        for key, value in event.materialization.metadata.items()
    }
    assert {"figure_violation_ratios", "figure_equity_curves", "var_1%_overall", "strategies"} <= set(
        metadata
    )

    with instance_for_test() as instance:  # the five-day target too: h-day VaR, scored every fifth day
        assert run(instance, MEMBERS, market, "rv_5d|2018-01-01", "rv_5d|2019-06-01").success
    assert backtest(market, 250).success
    with open_warehouse(market, read_only=True) as conn:
        both = conn.execute("SELECT * FROM risk_backtests WHERE period = 'all'").df()
    days = both.groupby("target")["days"].max()
    assert set(both["target"]) == {"rv_1d", "rv_5d"} and days["rv_5d"] <= days["rv_1d"] / 5 + 1
