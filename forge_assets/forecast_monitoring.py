"""Monitoring of the published forecasts, one partition per weekday: their scores as targets realise (with the
champion's degradation as a warning check) and the champion/challenger decision on the shadow days scored so far.
"""

import datetime as dt

import pandas as pd
from dagster import (
    AllPartitionMapping,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetDep,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from forge_assets.daily_forecasts import daily_forecasts
from forge_assets.sessions import holiday, run_sessions
from forge_assets.shared import LIVE_DAY, refuse
from forge_core.live.registry import aliases, promote
from forge_core.monitoring.degradation import DegradationRule, check_degradation
from forge_core.monitoring.drift import (
    EVIDENTLY_VS_ALARM,
    DriftSettings,
    EmptyReference,
    NoChampionForecasts,
    report_drift,
)
from forge_core.monitoring.promotion import PromotionRule, daily_losses, decide_promotion
from forge_core.monitoring.promotion_log import already_decided, record
from forge_core.monitoring.scoring import load_scores, score_day, write_scores
from forge_core.settings import reports_dir
from forge_core.targets import configured_targets
from forge_core.tracking import CHALLENGER, CHAMPION
from forge_resources import MarketDataResource, MlflowResource, WarehouseResource

DEGRADATION_CHECK = "champion_not_degraded"
RETRAIN_TARGETS = "retrain_targets"  # metadata key the retraining sensor reads: the targets to retrain
DRIFT_CHECK = "drift_below_threshold"


class DegradationConfig(Config):
    """When the champion counts as degraded (see ``forge_core.monitoring.degradation``)."""

    days: int = Field(default=60, description="The champion's last scored days judged.")
    max_qlike_ratio: float = Field(
        default=1.5, description="Live QLIKE over its out-of-sample QLIKE above this."
    )
    level: float = Field(default=0.9, description="Interval level whose coverage is tested.")
    coverage_alpha: float = Field(default=0.01, description="Size of the one-sided binomial coverage test.")
    min_days: int = Field(default=20, description="Fewer scored days than this: no verdict.")


@asset(
    **LIVE_DAY,
    deps=[AssetDep(daily_forecasts, partition_mapping=AllPartitionMapping())],
    kinds={"python", "duckdb"},
    check_specs=[
        AssetCheckSpec(
            DEGRADATION_CHECK,
            asset="forecast_scores",
            blocking=False,
            description=(
                "The champion of every target does not do clearly worse live than out of sample (QLIKE ratio) and "
                "its intervals cover as often as promised (binomial test); fails with the figures."
            ),
        )
    ],
    description=(
        "Every published forecast whose target realised at the day's close, scored (QLIKE, squared error, "
        "coverage per level) into `forecast_scores`; the champion's degradation as a warning check."
    ),
)
def forecast_scores(
    context: AssetExecutionContext,
    config: DegradationConfig,
    warehouse: WarehouseResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    days, written = run_sessions(context, market_data), 0
    if not days:  # a holiday: no target realises on it
        return holiday(context, market_data)
    rule = DegradationRule(
        config.days, config.max_qlike_ratio, config.level, config.coverage_alpha, config.min_days
    )
    for day in days:
        with warehouse.open() as conn:
            written += write_scores(conn, day, score_day(conn, day))
    with warehouse.open(read_only=True) as conn:
        scores = load_scores(conn, days[-1])
    verdicts = [check_degradation(scores, spec.name, spec.horizon, rule) for spec in configured_targets()]
    degraded = [v.target for v in verdicts if v.degraded]
    table = pd.DataFrame(
        [
            {
                "target": v.target,
                "champion": v.champion,
                "days": v.days,
                "qlike_ratio": round(v.qlike_ratio, 3),
                "coverage": round(v.coverage, 3),
                "why": "; ".join(v.reasons),
            }
            for v in verdicts
        ]
    )
    context.log.info(
        f"forecast_scores: {written} scores for {days[0]} .. {days[-1]}; degraded: {degraded or 'none'}"
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": written,
            RETRAIN_TARGETS: MetadataValue.json(degraded),
            "champions": MetadataValue.md(table.to_markdown(index=False)),
        },
        check_results=[
            AssetCheckResult(
                check_name=DEGRADATION_CHECK,
                passed=not degraded,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "degraded": MetadataValue.json({v.target: v.reasons for v in verdicts if v.degraded})
                },
            )
        ],
    )


class PromotionConfig(Config):
    """The promotion test (see ``forge_core.monitoring.promotion``)."""

    days: int = Field(default=60, description="Last shadow days scored for both that are compared.")
    alpha: float = Field(default=0.05, description="Diebold-Mariano p-value below which a win counts.")
    mcs_size: float = Field(default=0.10, description="Size of the model confidence set of the two.")
    min_days: int = Field(default=20, description="Fewer shadow days than this: no decision.")


@asset(
    **LIVE_DAY,
    deps=[forecast_scores],
    kinds={"python", "mlflow"},
    description=(
        "Per target with a challenger: promoted to champion only on a lower QLIKE over the last scored shadow days "
        "with a Diebold-Mariano p-value below alpha and inside the model confidence set of the two; every decision "
        "appended to `promotions`."
    ),
)
def promotions(
    context: AssetExecutionContext,
    config: PromotionConfig,
    warehouse: WarehouseResource,
    tracking: MlflowResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    sessions = run_sessions(context, market_data)
    if not sessions:  # a holiday: nothing new was scored, nothing to decide
        return holiday(context, market_data)
    rule = PromotionRule(config.days, config.alpha, config.mcs_size, min_days=config.min_days)
    day = sessions[-1]
    store = tracking.config()
    pairs = {}
    for spec in configured_targets():
        roles = aliases(store, spec.name)
        if CHALLENGER in roles and CHAMPION in roles:
            pairs[spec] = (roles[CHAMPION], roles[CHALLENGER])
    # a day already decided between the same versions is not tested again
    with warehouse.open(read_only=True) as conn:
        scores = load_scores(conn, day)
        pending = {
            spec: pair for spec, pair in pairs.items() if not already_decided(conn, day, spec.name, *pair)
        }
    decisions = []
    for spec, (champion, challenger) in pending.items():
        mine = scores[scores["target"] == spec.name]
        models = mine.groupby("model_version")["model"].first()
        losses = daily_losses(mine, champion, challenger, key="model_version", day="realised_on")
        decision = decide_promotion(
            spec.name, spec.horizon, models.get(champion, "?"), models.get(challenger, "?"), losses, rule
        )
        if decision.promote:
            promote(store, spec.name)
        row = decision.as_row() | {
            "decided_on": day,
            "action": "promoted" if decision.promote else "kept",
            "champion_version": champion,
            "challenger_version": challenger,
            "champion_model": decision.champion,
            "challenger_model": decision.challenger,
            "run_id": context.run.run_id,
        }
        with warehouse.open() as conn:
            record(conn, row)
        context.log.info(f"promotions {spec.name} {day}: {row['action']} ({decision.reason})")
        decisions.append(
            {
                k: row[k]
                for k in (
                    "target",
                    "action",
                    "champion_version",
                    "challenger_version",
                    "days",
                    "dm_p_value",
                    "reason",
                )
            }
        )
    return MaterializeResult(
        metadata={
            "decisions": MetadataValue.md(
                pd.DataFrame(decisions).to_markdown(index=False) if decisions else "none"
            ),
            "promoted": MetadataValue.json([d["target"] for d in decisions if d["action"] == "promoted"]),
            "decided_on": str(day),
        }
    )


def record_rollback(
    warehouse: WarehouseResource, target: str, before: dict[str, int], after: dict[str, int], run_id: str
) -> None:
    """Append a rollback to ``promotions``: the champion moved from ``before`` to ``after``."""
    with warehouse.open() as conn:
        record(
            conn,
            {
                "decided_on": dt.date.today(),
                "target": target,
                "action": "rolled_back",
                "champion_version": after.get(CHAMPION),
                "challenger_version": before.get(CHAMPION),
                "reason": f"champion rolled back from version {before.get(CHAMPION)} to {after.get(CHAMPION)}",
                "run_id": run_id,
            },
        )


class DriftConfig(Config):
    """The drift report's windows and its alarm (see ``forge_core.monitoring.drift``)."""

    current_days: int = Field(
        default=DriftSettings.current_days, description="Trading days compared with the reference."
    )
    reference_days: int = Field(
        default=DriftSettings.reference_days, description="Trading days up to the champion's fitting day."
    )
    threshold: float = Field(
        default=DriftSettings.threshold, description="Share of drifted columns above which a day counts."
    )
    persistence: int = Field(
        default=DriftSettings.persistence,
        description="Consecutive report days above the threshold for the alarm.",
    )
    quantile: float = Field(
        default=DriftSettings.quantile, description="A column drifts above this quantile of its own history."
    )


@asset(
    **LIVE_DAY,
    deps=[daily_forecasts],
    kinds={"python", "evidently"},
    check_specs=[
        AssetCheckSpec(
            DRIFT_CHECK,
            asset="drift_report",
            blocking=False,
            description="The share of drifted columns has not stayed above the threshold for `persistence` days.",
        )
    ],
    description=(
        "Evidently drift report of the last days' features and champion forecasts against the champion's "
        "training window (HTML under FORGE_HOME/reports/drift/, linked from the metadata); the alarm needs drift "
        f"on consecutive days. {EVIDENTLY_VS_ALARM}"
    ),
)
def drift_report(
    context: AssetExecutionContext,
    config: DriftConfig,
    warehouse: WarehouseResource,
    market_data: MarketDataResource,
) -> MaterializeResult:
    sessions = run_sessions(context, market_data)
    if not sessions:  # a holiday: no forecasts were published on it
        return holiday(context, market_data)
    settings = DriftSettings(
        config.current_days, config.reference_days, config.threshold, config.persistence, config.quantile
    )
    results = []
    for day in sessions:
        try:
            result = report_drift(
                warehouse.open, day, settings, reports_dir() / "drift" / f"drift_{day}.html"
            )
        except (NoChampionForecasts, EmptyReference) as error:
            raise refuse(error) from None
        context.log.info(
            f"drift_report {day}: drifted share {result.drift_share:.2f}, alarm {'on' if result.alarm else 'off'}"
        )
        results.append(result)
    last = results[-1]
    table = pd.DataFrame([{"column": c, **e} for c, e in last.columns.items()])
    retrain = [spec.name for spec in configured_targets()] if last.alarm else []
    return MaterializeResult(
        metadata={
            "drift_share": last.drift_share,
            "evidently_drift_share": last.evidently_share,
            "evidently_vs_alarm": EVIDENTLY_VS_ALARM,
            "drifted_columns": MetadataValue.json(last.drifted_columns),
            "columns": MetadataValue.md(table.to_markdown(index=False, floatfmt=".3g")),
            "skipped_columns": MetadataValue.json(last.skipped_columns),
            "reference": f"{last.reference[0]} .. {last.reference[1]}",
            "current": f"{last.current[0]} .. {last.current[1]}",
            "report": MetadataValue.url(last.html.as_uri()),
            "alarm": last.alarm,
            RETRAIN_TARGETS: MetadataValue.json(retrain),
        },
        check_results=[
            AssetCheckResult(
                check_name=DRIFT_CHECK,
                passed=not last.alarm,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "drift_share": last.drift_share,
                    "evidently_drift_share": last.evidently_share,
                    "drifted_columns": MetadataValue.json(last.drifted_columns),
                },
            )
        ],
    )
