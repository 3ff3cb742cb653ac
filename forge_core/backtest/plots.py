"""Backtest figures as PNG files: forecasts against the realised target, and cumulative loss differences.

matplotlib is imported by the first figure drawn (``pyplot``), not with this module: the assets that draw figures
declare themselves without loading it."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forge_core.evaluation import qlike
from forge_core.units import TRADING_DAYS_PER_YEAR, annualised_vol

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HIGHLIGHT = ("har", "log_har", "gjr_garch")


def pyplot() -> ModuleType:
    """matplotlib's ``pyplot``, drawing with Agg (files, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _symbols_figure(symbols: list[str], title: str) -> tuple[Figure, list[Axes]]:
    fig, axes = pyplot().subplots(
        len(symbols), 1, figsize=(11, 3.2 * len(symbols)), squeeze=False, sharex=True
    )
    fig.suptitle(title)
    return fig, [ax for (ax,) in axes]


def forecast_vs_realised(
    realised: pd.DataFrame, target: str, path: Path, models: tuple[str, ...] = HIGHLIGHT
) -> Path:
    """One panel per symbol: the realised target and the chosen models' forecasts, as annualised volatility."""
    rows = realised[realised["target"] == target]
    symbols = sorted(rows["symbol"].unique())
    fig, axes = _symbols_figure(symbols, f"{target}: forecast vs realised (annualised volatility, %)")
    for ax, symbol in zip(axes, symbols, strict=True):
        mine = rows[rows["symbol"] == symbol]
        truth = mine.groupby("date")["realised"].first()
        ax.plot(truth.index, annualised_vol(truth), color="0.6", lw=0.6, label="realised")
        for model in (m for m in models if m in set(mine["model"])):
            series = mine[mine["model"] == model].set_index("date")["forecast"].sort_index()
            ax.plot(series.index, annualised_vol(series), lw=0.9, label=model)
        ax.set_title(symbol, fontsize=10)
        ax.set_yscale("log")
        ax.legend(loc="upper right", fontsize=8, ncol=4)
    return save_figure(fig, path)


def cumulative_loss_difference(
    realised: pd.DataFrame,
    target: str,
    path: Path,
    benchmark: str = "har",
    omit: tuple[str, ...] = ("random_walk",),
) -> Path:
    """One panel per symbol: running sum of QLIKE(model) - QLIKE(benchmark); below zero the model is ahead.
    ``omit`` leaves out models whose losses would set the scale (the random walk's are several times HAR's)."""
    rows = realised[(realised["target"] == target) & ~realised["model"].isin(omit)]
    symbols = sorted(rows["symbol"].unique())
    left_out = f" ({', '.join(omit)} omitted)" if omit else ""
    fig, axes = _symbols_figure(
        symbols, f"{target}: cumulative QLIKE difference against {benchmark}{left_out}"
    )
    for ax, symbol in zip(axes, symbols, strict=True):
        mine = rows[rows["symbol"] == symbol]
        forecasts = mine.pivot_table(
            index="date", columns="model", values="forecast", aggfunc="first"
        ).dropna()
        truth = mine.groupby("date")["realised"].first().reindex(forecasts.index)
        if benchmark not in forecasts:
            continue
        base = qlike(truth, forecasts[benchmark])
        for model in forecasts.columns.drop(benchmark):
            ax.plot(forecasts.index, np.cumsum(qlike(truth, forecasts[model]) - base), lw=0.9, label=model)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(symbol, fontsize=10)
        ax.legend(loc="upper left", fontsize=8, ncol=3)
    return save_figure(fig, path)


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` (its folder created) and close it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    pyplot().close(fig)
    return path


def ensemble_weights(weights: pd.DataFrame, title: str, path: Path) -> Path:
    """One panel per symbol: each member's weight over time, stacked (rows ``symbol, date, member, weight``)."""
    symbols = sorted(weights["symbol"].unique())
    fig, axes = _symbols_figure(symbols, title)
    for ax, symbol in zip(axes, symbols, strict=True):
        wide = weights[weights["symbol"] == symbol].pivot(index="date", columns="member", values="weight")
        ax.stackplot(wide.index, wide.to_numpy().T, labels=[str(m) for m in wide.columns])
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"{symbol} weight")
    axes[0].legend(loc="upper left", fontsize=7, ncol=4)
    return save_figure(fig, path)


def interval_calibration(overall: pd.DataFrame, path: Path) -> Path:
    """Nominal against empirical coverage per method (mean over symbols, targets and models), one panel per
    target; a calibrated method lies on the diagonal."""
    targets = sorted(overall["target"].unique())
    fig, axes = pyplot().subplots(1, len(targets), figsize=(4.2 * len(targets), 4), squeeze=False)
    for ax, target in zip(axes[0], targets, strict=True):
        mine = (
            overall[overall["target"] == target]
            .groupby(["method", "level"])["coverage"]
            .mean()
            .unstack("method")
        )
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
        for method in mine.columns:
            ax.plot(mine.index, mine[method], marker="o", label=str(method))
        ax.set_xlim(0.4, 1)
        ax.set_ylim(0.4, 1)
        ax.set_title(target)
        ax.set_xlabel("nominal coverage")
    axes[0][0].set_ylabel("empirical coverage")
    axes[0][0].legend()
    return save_figure(fig, path)


def rolling_coverage(
    scored: pd.DataFrame, level: float, path: Path, days: int = TRADING_DAYS_PER_YEAR
) -> Path:
    """Coverage of the ``level`` bands over the trailing ``days`` per method (mean over symbols and models), one
    panel per target, against the nominal level (rows from ``interval_report.scored_intervals``)."""
    rows = scored[np.isclose(scored["level"], level)]
    targets = sorted(rows["target"].unique())
    fig, axes = pyplot().subplots(len(targets), 1, figsize=(11, 3 * len(targets)), squeeze=False, sharex=True)
    for (ax,), target in zip(axes, targets, strict=True):
        daily = rows[rows["target"] == target].groupby(["date", "method"])["covered"].mean().unstack("method")
        for method in daily.columns:
            ax.plot(
                daily.index,
                daily[method].rolling(days, min_periods=days // 2).mean(),
                lw=1,
                label=str(method),
            )
        ax.axhline(level, color="grey", lw=0.8, ls="--")
        ax.set_ylabel(f"{target} coverage")
    axes[0][0].set_title(f"{round(100 * level)}% bands: coverage over the trailing {days} days")
    axes[0][0].legend()
    return save_figure(fig, path)


def equity_curves(curves: dict[str, dict[str, pd.Series]], title: str, path: Path) -> Path:
    """One panel per symbol: the equity curve of each strategy (log scale), buy-and-hold dashed."""
    symbols = sorted(curves)
    fig, axes = _symbols_figure(symbols, title)
    for ax, symbol in zip(axes, symbols, strict=True):
        for name, curve in sorted(curves[symbol].items()):
            ax.plot(curve.index, curve.to_numpy(), lw=1.6 if name in HIGHLIGHT else 0.8, label=name,
                    ls="--" if name == "buy_and_hold" else "-")  # fmt: skip
        ax.set_yscale("log")
        ax.set_title(symbol, fontsize=9)
        ax.legend(fontsize=7, ncol=4)
    return save_figure(fig, path)


def violation_ratios(table: pd.DataFrame, tail: float, method: str, path: Path) -> Path:
    """Per symbol, each model's VaR violations over the expected number per year at ``tail`` (1 is right)."""
    rows = table[(table["tail"] == tail) & (table["method"] == method) & (table["period"] != "all")]
    symbols = sorted(rows["symbol"].unique())
    fig, axes = _symbols_figure(symbols, f"VaR {tail:.1%} ({method}): violations / expected, per year")
    for ax, symbol in zip(axes, symbols, strict=True):
        for model, series in rows[rows["symbol"] == symbol].groupby("model"):
            ax.plot(series["period"].astype(int), series["violations"] / series["expected"], marker="o",
                    lw=1.6 if model in HIGHLIGHT else 0.8, label=str(model))  # fmt: skip
        ax.axhline(1.0, color="grey", ls=":")
        ax.set_title(symbol, fontsize=9)
        ax.legend(fontsize=7, ncol=4)
    return save_figure(fig, path)


def regime_probabilities(regimes: pd.DataFrame, path: Path) -> Path:
    """One panel per symbol: the filtered probability of the highest regime over the days stored."""
    symbols = sorted(regimes["symbol"].unique())
    fig, axes = _symbols_figure(symbols, "Filtered probability of the most turbulent regime")
    top = regimes[regimes["regime"] == regimes["regimes"] - 1]
    for ax, symbol in zip(axes, symbols, strict=True):
        rows = top[top["symbol"] == symbol].sort_values("date")
        ax.fill_between(pd.to_datetime(rows["date"]), rows["probability"].to_numpy(), step="mid", alpha=0.6)
        ax.set_ylim(0, 1)
        ax.set_title(symbol, fontsize=9)
    return save_figure(fig, path)


def path_fans(fans: pd.DataFrame, title: str, path: Path) -> Path:
    """One row per symbol of ``forecast_paths`` rows: the P5-P95 and P10-P90 bands and the median of the cumulative
    return (%) and of the day's volatility (annualised, %) over the simulated days, one colour per model."""
    symbols = sorted(fans["symbol"].unique())
    fig, axes = pyplot().subplots(len(symbols), 2, figsize=(11, 3.2 * len(symbols)), squeeze=False)
    fig.suptitle(title)
    for (left, right), symbol in zip(axes, symbols, strict=True):
        for (model, quantity), rows in fans[fans["symbol"] == symbol].groupby(["model", "quantity"]):
            ax, scale = (
                (left, lambda v: 100 * v) if quantity == "cumulative_return" else (right, annualised_vol)
            )
            rows = rows.sort_values("day")
            line = ax.plot(rows["day"], scale(rows["q50"]), lw=1.2, label=str(model))[0]
            for low, high, alpha in (("q05", "q95", 0.15), ("q10", "q90", 0.25)):
                ax.fill_between(rows["day"], scale(rows[low]), scale(rows[high]), color=line.get_color(),
                                alpha=alpha, lw=0)  # fmt: skip
        left.set_title(f"{symbol}: cumulative return (%)", fontsize=9)
        right.set_title(f"{symbol}: daily volatility (annualised, %)", fontsize=9)
        left.axhline(0, color="k", lw=0.5)
        for ax in (left, right):
            ax.set_xlabel("trading days after the close")
            ax.legend(fontsize=7)
    return save_figure(fig, path)
