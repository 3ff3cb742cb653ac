"""What the one-day forecasts are worth as risk numbers and as a trading rule: ``risk_backtest`` (VaR and ES of
every model, backtested) and ``strategy_backtest`` (volatility targeting against buy-and-hold and HAR-targeting).

Both read every stored walk-forward forecast of the configured one-day target with the next day's return, calibrate
each year on the pairs realised before it, replace their table's rows of the target in one transaction and put
their tables and figures in the metadata (files under FORGE_HOME/reports/risk/).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.metadata import figure
from forge_assets.shared import BACKTEST_GROUP, OWNERS, refuse
from forge_core.backtest.plots import equity_curves, violation_ratios
from forge_core.risk.risk_report import CALIBRATION_DAYS, eligible_years, load_pairs, risk_backtest
from forge_core.risk.vol_targeting import strategy_backtest
from forge_core.settings import reports_dir
from forge_core.targets import TargetSpec, configured_targets
from forge_core.warehouse.partition_writes import replace_keyed
from forge_resources import WarehouseResource

SHOWN_TAIL = 0.01


class RiskConfig(Config):
    """How each year's return distribution is calibrated."""

    calibration_days: int = Field(
        default=CALIBRATION_DAYS, description="Pairs (forecast, next return) before a year that calibrate it."
    )


class StrategyConfig(Config):
    """The volatility-targeting rule."""

    target_volatility: float = Field(default=0.10, description="Annualised volatility the exposure aims at.")
    leverage_cap: float = Field(default=2.0, description="Largest exposure.")
    calibration_days: int = Field(
        default=CALIBRATION_DAYS, description="Pairs before a year that calibrate its return scale."
    )


@dataclass(frozen=True)
class TargetPairs:
    """A target's stored forecasts paired with the return over their horizon.

    Attributes
    ----------
    target : str
        The target's name.
    pairs : pd.DataFrame
        The pairs (``load_pairs``).
    years : list of int
        The years that can be scored (``eligible_years``).
    """

    target: str
    pairs: pd.DataFrame
    years: list[int]


def _pairs(warehouse: WarehouseResource, spec: TargetSpec, calibration_days: int) -> TargetPairs:
    """A target's forecasts paired with the return over their horizon, and the years that can be scored."""
    with warehouse.open(read_only=True) as conn:
        pairs = load_pairs(conn, spec.name, spec.horizon)
    return TargetPairs(spec.name, pairs, eligible_years(pairs, calibration_days))


def _too_few(target: str, calibration_days: int) -> str:
    return (
        f"{target}: no year has {calibration_days} earlier forecasts with a realised return for every model and "
        "symbol: backfill more walk-forward windows (or lower calibration_days)"
    )


def _one_day_pairs(warehouse: WarehouseResource, calibration_days: int) -> TargetPairs:
    """The one-day target, its forecasts paired with the next day's return, and the years that can be scored.
    A Failure saying what is missing otherwise."""
    spec = next((s for s in configured_targets() if s.horizon == 1), None)
    if spec is None:
        raise Failure("no one-day target is configured (FORGE_TARGETS): volatility targeting needs one")
    scored = _pairs(warehouse, spec, calibration_days)
    if not scored.years:
        raise Failure(_too_few(spec.name, calibration_days))
    return scored


def _replace(warehouse: WarehouseResource, table: str, target: str, rows: pd.DataFrame) -> int:
    stamped = rows.assign(target=target, created_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    with warehouse.open() as conn:
        (written,) = replace_keyed(conn, {"target": target}, {table: stamped})
    return written


def materialize_risk(
    context: AssetExecutionContext, config: RiskConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    tables, not_scored = {}, {}
    for spec in configured_targets():
        scored = _pairs(warehouse, spec, config.calibration_days)
        if not scored.years:
            not_scored[spec.name] = _too_few(spec.name, config.calibration_days)
            continue
        years = scored.years
        context.log.info(
            f"{spec.name}: {spec.horizon}-day VaR/ES of {scored.pairs['model'].nunique()} models over "
            f"{years[0]}..{years[-1]}"
        )
        try:
            tables[spec.name] = risk_backtest(
                scored.pairs, years, calibration_days=config.calibration_days, horizon=spec.horizon
            )
        except ValueError as error:
            raise refuse(error) from None
    if not tables:
        raise Failure("; ".join(not_scored.values()))
    written = sum(_replace(warehouse, "risk_backtests", target, table) for target, table in tables.items())
    folder = reports_dir() / "risk"
    folder.mkdir(parents=True, exist_ok=True)
    everything = pd.concat([t.assign(target=name) for name, t in tables.items()], ignore_index=True)
    everything.to_csv(folder / "risk_backtests.csv", index=False)
    horizons = {spec.name: spec.horizon for spec in configured_targets()}
    table = tables[min(tables, key=horizons.__getitem__)]  # the figure: the shortest horizon scored
    chart = violation_ratios(table, SHOWN_TAIL, "t", folder / "var_violation_ratios.png")
    overall = everything[(everything["period"] == "all") & (everything["tail"] == SHOWN_TAIL)]
    shown = overall[
        ["target", "symbol", "model", "method", "violations", "expected", "p_pof", "p_cc", "es_p_value"]
    ]
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "targets": ", ".join(tables),
            "not_scored": MetadataValue.json(not_scored),
            f"var_{SHOWN_TAIL:.0%}_overall": MetadataValue.md(shown.round(4).to_markdown(index=False)),
            "figure_violation_ratios": figure(chart),
            "report_folder": MetadataValue.path(str(folder)),
        }
    )


def materialize_strategy(
    context: AssetExecutionContext, config: StrategyConfig, warehouse: WarehouseResource
) -> MaterializeResult:
    scored = _one_day_pairs(warehouse, config.calibration_days)
    target, years = scored.target, scored.years
    try:
        table, strategies = strategy_backtest(
            scored.pairs,
            years,
            target=config.target_volatility,
            cap=config.leverage_cap,
            calibration_days=config.calibration_days,
        )
    except ValueError as error:
        raise refuse(error) from None
    spans = {key: (s.returns.index.min(), s.returns.index.max()) for key, s in strategies.items()}
    table = table.assign(
        first_day=[spans[(s, n)][0].date() for s, n in zip(table["symbol"], table["strategy"], strict=True)],
        last_day=[spans[(s, n)][1].date() for s, n in zip(table["symbol"], table["strategy"], strict=True)],
        target_volatility=config.target_volatility,
        leverage_cap=config.leverage_cap,
    )
    written = _replace(warehouse, "strategy_backtests", target, table)
    folder = reports_dir() / "risk"
    folder.mkdir(parents=True, exist_ok=True)
    table.to_csv(folder / "strategy_backtests.csv", index=False)
    curves: dict[str, dict[str, pd.Series]] = {}
    for (symbol, name), strategy in strategies.items():
        curves.setdefault(symbol, {})[name] = strategy.equity
    title = (
        f"Volatility targeting at {config.target_volatility:.0%} (cap {config.leverage_cap}x) vs buy-and-hold"
    )
    chart = equity_curves(curves, title, folder / "equity_curves.png")
    context.log.info(f"{target}: {len(strategies)} strategies over {years[0]}..{years[-1]}")
    shown = ["symbol", "strategy", "annual_return", "annual_volatility", "sharpe", "max_drawdown",
             "vol_tracking_error", "turnover"]  # fmt: skip
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            "target": target,
            "years": f"{years[0]}..{years[-1]}",
            "strategies": MetadataValue.md(table[shown].round(4).to_markdown(index=False)),
            "figure_equity_curves": figure(chart),
        }
    )


def risk_assets(forecasts: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """``risk_backtest`` and ``strategy_backtest``, downstream of every family's and ensemble's forecasts."""
    common: dict[str, Any] = {
        "deps": list(forecasts),
        "group_name": BACKTEST_GROUP,
        "owners": OWNERS,
        "kinds": {"python", "duckdb"},
    }
    risk = asset(
        name="risk_backtest",
        description=(
            "One-day and h-day VaR and ES at 1%, 2.5% and 5% from every model's and ensemble's forecasts of every "
            "target (Student-t and filtered historical simulation, each year calibrated on the days before it, the "
            "return scale on close-to-close returns; h-day targets scored every h days, so violations never "
            "overlap), backtested per year and overall: Kupiec, Christoffersen independence and conditional "
            "coverage, McNeil-Frey ES; `risk_backtests` table, replaced per target."
        ),
        **common,
    )(materialize_risk)
    strategy = asset(
        name="strategy_backtest",
        description=(
            "Volatility targeting at 10% (leverage cap 2) with every model's one-day forecasts, beside buy-and-hold "
            "on the same days: return, volatility, Sharpe (and its difference to HAR-targeting), drawdown, "
            "volatility tracking error, turnover; equity curves; `strategy_backtests` table."
        ),
        **common,
    )(materialize_strategy)
    return [risk, strategy]
