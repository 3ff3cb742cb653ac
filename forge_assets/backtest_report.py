"""The backtest report over every model's stored out-of-sample forecasts."""

from collections.abc import Sequence

from dagster import AssetExecutionContext, AssetsDefinition, Failure, MaterializeResult, MetadataValue, asset

from forge_assets.metadata import figure
from forge_assets.shared import BACKTEST_GROUP, OWNERS
from forge_core.backtest.interval_report import (
    band_coherence,
    evaluate_intervals,
    point_scores,
    scored_intervals,
)
from forge_core.backtest.plots import (
    cumulative_loss_difference,
    forecast_vs_realised,
    interval_calibration,
    rolling_coverage,
)
from forge_core.backtest.report import evaluate_backtest, summary_markdown
from forge_core.forecasting.forecast_store import load_realised, load_realised_intervals
from forge_core.intervals.interval_methods import DEFAULT_METHOD
from forge_core.settings import reports_dir
from forge_resources import WarehouseResource


def backtest_report_asset(
    forecasts: Sequence[AssetsDefinition], intervals: AssetsDefinition | None = None
) -> AssetsDefinition:
    """The report, downstream of every family's and ensemble's forecasts asset and of the intervals."""
    return asset(
        name="backtest_report",
        deps=[*forecasts, *([intervals] if intervals is not None else [])],
        group_name=BACKTEST_GROUP,
        owners=OWNERS,
        kinds={"python", "pandas"},
        description=(
            "Every model against the realised targets, per symbol and target, on the days all models forecast: MSE and "
            "QLIKE with ratios to HAR, Diebold-Mariano (HLN) p-values against HAR and log-HAR, 10% Model Confidence "
            "Set, Mincer-Zarnowitz, QLIKE noise floor and reducible loss, 80%/90% band coverage and width; overall and "
            "per year. Feature variants (e.g. `log_har_with_options`) against the model without the sets: QLIKE ratio "
            "and DM p-value per symbol and target (`feature_gain.csv`). Conformal intervals: coverage, mean log width "
            "and Winkler score per model x method x level, "
            "overall and per year; the bands' coherence as produced (nested, the 50% upper bound strictly below the "
            "95%, the point inside its 50% band unless skewed) and QLIKE of the raw forecast beside the point the "
            "default method publishes (the forecast corrected for the bias its scores support). Figures: forecast vs "
            "realised, cumulative QLIKE difference against HAR, interval "
            "calibration and rolling one-year coverage."
        ),
    )(materialize_report)


def materialize_report(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Score every realised forecast, write the tables and figures under FORGE_HOME/reports/backtest."""
    with warehouse.open(read_only=True) as conn:
        realised = load_realised(conn)
        stored_intervals = load_realised_intervals(conn)
    if realised.empty:
        raise Failure(
            "no realised out-of-sample forecasts yet: backfill some walk-forward windows of the models first"
        )
    report = evaluate_backtest(realised)
    folder = reports_dir() / "backtest"
    folder.mkdir(parents=True, exist_ok=True)
    report.overall.to_csv(folder / "overall.csv", index=False)
    report.yearly.to_csv(folder / "by_year.csv", index=False)
    report.feature_gain.to_csv(folder / "feature_gain.csv", index=False)
    summary = summary_markdown(report)
    (folder / "summary.md").write_text(summary + "\n")
    figures = []
    for target in sorted(realised["target"].unique()):
        figures.append(forecast_vs_realised(realised, target, folder / f"{target}_forecast_vs_realised.png"))
        figures.append(
            cumulative_loss_difference(realised, target, folder / f"{target}_cumulative_qlike_vs_har.png")
        )
    interval_tables = {}
    if not stored_intervals.empty:
        truth = stored_intervals[["symbol", "date", "target", "realised"]].drop_duplicates()
        scores = evaluate_intervals(stored_intervals.drop(columns="realised"), truth)
        scores.overall.to_csv(folder / "intervals_overall.csv", index=False)
        scores.yearly.to_csv(folder / "intervals_by_year.csv", index=False)
        figures.append(interval_calibration(scores.overall, folder / "interval_calibration.png"))
        scored = scored_intervals(stored_intervals.drop(columns="realised"), truth)
        figures.append(rolling_coverage(scored, 0.9, folder / "interval_rolling_coverage_90.png"))
        at90 = scores.overall[scores.overall["level"] == 0.9]
        table = at90.groupby(["target", "method"])[["coverage", "log_width", "winkler"]].mean().round(3)
        interval_tables["intervals_90"] = MetadataValue.md(table.reset_index().to_markdown(index=False))
        coherence = band_coherence(stored_intervals.dropna(subset=["point"]))
        coherence.to_csv(folder / "intervals_coherence.csv", index=False)
        interval_tables["bands_as_produced"] = MetadataValue.md(
            coherence.groupby(["target", "method"])[["days", "incoherent", "outside_50", "skewed"]]
            .agg({"days": "sum", "incoherent": "max", "outside_50": "mean", "skewed": "mean"})
            .round(4)
            .reset_index()
            .to_markdown(index=False)
        )
        points = point_scores(stored_intervals.dropna(subset=["point"]), realised, DEFAULT_METHOD)
        points.to_csv(folder / "points_raw_and_published.csv", index=False)
        interval_tables["points_raw_and_published"] = MetadataValue.md(
            points.groupby(["target", "model"])[["qlike_raw", "qlike_point", "ratio"]]
            .mean()
            .round(4)
            .reset_index()
            .to_markdown(index=False)
        )
    context.log.info(f"backtest report over {len(realised)} forecasts written to {folder}")
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(report.overall),
            "forecasts_scored": len(realised),
            "summary": MetadataValue.md(summary),
            "report_folder": MetadataValue.path(str(folder)),
            **interval_tables,
            **{f"figure_{path.stem}": figure(path) for path in figures},
        }
    )
