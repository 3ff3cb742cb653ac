"""The live calibration on a warehouse's short walk-forward history: PID against split conformal at the live day.

    python benchmarks/live_bands.py [--home .forge] [--day 2018-12-31] [--out benchmarks/results/live_bands_demo]

Reads every target's stored out-of-sample forecasts up to ``--day`` (what ``live_models`` calibrates on; the
demo walks 18 months), calibrates each (symbol, model) series with the default method and with split conformal at
the live levels, and prints, at the day, each band's ends and the published point relative to the raw forecast,
the realised scores they drew on, the PID bands' log width over split's, and whether every row is coherent
(nested, the 50% upper end strictly below the 95%, the point inside its 50% band or flagged skewed). Then the
blocking check's counts on that day's ``daily_forecasts``. Writes ``<out>.txt`` and ``<out>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from forge_core.forecasting.forecast_store import load_member_history
from forge_core.intervals import DEFAULT_LEVELS, DEFAULT_MIN_SCORES, band_rules, calibrate
from forge_core.intervals.interval_methods import DEFAULT_METHOD
from forge_core.targets import configured_targets
from forge_core.warehouse.quality import daily_forecasts_quality
from forge_core.warehouse.reader_snapshots import open_reader


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=Path(".forge"))
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2018, 12, 31))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/live_bands_demo"))
    return parser.parse_args(argv)


def bands_at(history: pd.DataFrame, horizon: int, day: dt.date) -> list[dict[str, object]]:
    """One row per (symbol, model, method): the bands and point at ``day`` relative to the raw forecast."""
    rows = []
    for (symbol, model), series in history.groupby(["symbol", "model"], sort=True):
        series = series.sort_values("date")
        forecast = pd.Series(series["forecast"].to_numpy(dtype=float), index=pd.DatetimeIndex(series["date"]))
        realised = pd.Series(series["realised"].to_numpy(dtype=float), index=forecast.index)
        realised = realised.where(realised > 0)
        if int(realised.notna().sum()) < DEFAULT_MIN_SCORES:
            continue
        for method in (DEFAULT_METHOD, "split"):
            bands = calibrate(forecast, realised, horizon, method)
            if len(bands) == 0 or bands.forecast.index[-1] != pd.Timestamp(day):
                continue
            f = float(bands.forecast.iloc[-1])
            low, high = bands.lower.iloc[-1] / f, bands.upper.iloc[-1] / f
            point = float(bands.point.iloc[-1]) / f
            rows.append(
                {
                    "symbol": symbol,
                    "model": model,
                    "method": method,
                    "scores": int(bands.realised_scores.iloc[-1]),
                    "lower_95": float(low[DEFAULT_LEVELS[-1]]),
                    "lower_50": float(low[DEFAULT_LEVELS[0]]),
                    "point": point,
                    "upper_50": float(high[DEFAULT_LEVELS[0]]),
                    "upper_95": float(high[DEFAULT_LEVELS[-1]]),
                    "log_width_95": float(np.log(high[DEFAULT_LEVELS[-1]] / low[DEFAULT_LEVELS[-1]])),
                    "coherent": not (
                        band_rules.incoherent(low.to_numpy(), high.to_numpy())[0]
                        or (
                            band_rules.skewed(point, low[DEFAULT_LEVELS[0]], high[DEFAULT_LEVELS[0]])
                            and not bands.skewed.iloc[-1]
                        )
                    ),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    frames = []
    with open_reader(args.home / "warehouse.duckdb") as conn:
        for spec in configured_targets():
            history = load_member_history(conn, spec.name, args.day + dt.timedelta(days=1))
            frames.append(pd.DataFrame(bands_at(history, spec.horizon, args.day)).assign(target=spec.name))
        checks = daily_forecasts_quality(conn, args.day)
    table = pd.concat(frames, ignore_index=True)
    say(
        f"Bands at {args.day} relative to each raw forecast, from the walk-forward history stored in {args.home}:"
    )
    say(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    wide = table.pivot_table(index=["target", "symbol", "model"], columns="method", values="log_width_95")
    ratio = (wide[DEFAULT_METHOD] / wide["split"]).groupby("target").agg(["min", "max"])
    say(f"\n{DEFAULT_METHOD}'s 95% log width over split's at the day, per target (min, max over series):")
    say(ratio.round(3).to_string())
    say(f"\nrows coherent: {int(table['coherent'].sum())} of {len(table)}")
    say(f"daily_forecasts check on {args.day}: {checks}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    payload = {"day": str(args.day), "bands": table.to_dict("records"), "checks": checks}
    args.out.with_suffix(".json").write_text(json.dumps(payload, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
