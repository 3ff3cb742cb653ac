"""False alarms of the drift alarm on calm years of the bundled data, beside Evidently's default rule.

    python benchmarks/drift.py [--years 2012,2013,2014,2016,2017] [--quantile 0.99] [--threshold 0.5]
        [--current-days 20] [--json benchmarks/results/drift_calm_years.json]

For every trading day of each calm year, the drift report's comparison (``forge_core.monitoring.drift``: the last
``--current-days`` days (default 5) of the model features, standardised per symbol, against the 500 trading days
before the year, as if the champion had been fitted on the last day of the previous year) is run with the
per-column test Evidently chooses for these sizes (two-sample Kolmogorov-Smirnov, p < 0.05; checked against
Evidently itself on a sample of days). It counts the days on which Evidently's default rule (half the columns
drifted) would alarm, the days on which half the columns drift against their own history (``calibrated_drift``:
the K-S statistic above the 99% quantile of windows of as many days inside the reference) and those on which the
platform's alarm (that, on 3 consecutive days) does. The champion's forecasts are left out here (they
need a champion per year); the features are what drifts first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
from scipy import stats

from forge_core.data.bundled import BundledSource
from forge_core.market_tables import build_market_tables
from forge_core.monitoring.drift import (
    DATE,
    DriftSettings,
    calibrated_drift,
    drift_frames,
    evidently_drift,
    persistent_alarm,
)
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.sql_files import table_ddl

KS_SIZE = 0.05
EVIDENTLY_DATASET_DRIFT = 0.5  # Evidently's default: the dataset drifts when half its columns do
CHECKED_DAYS = 3  # days per year compared with Evidently's own report


def ks_share(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[float, set[str]]:
    """Share of columns whose two-sample K-S test rejects at KS_SIZE, and those columns."""
    columns = [c for c in reference.columns if c != DATE]
    drifted = {
        c for c in columns if stats.ks_2samp(reference[c].dropna(), current[c].dropna()).pvalue < KS_SIZE
    }  # fmt: skip
    return len(drifted) / len(columns), drifted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--years", default="2012,2013,2014,2016,2017")
    parser.add_argument(
        "--quantile", type=float, default=DriftSettings.quantile, help="of a column's own history"
    )
    parser.add_argument(
        "--threshold", type=float, default=DriftSettings.threshold, help="share of columns drifted"
    )
    parser.add_argument(
        "--current-days",
        type=int,
        default=DriftSettings.current_days,
        help="days compared with the reference",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(
        conn, BundledSource().load(dt.date(1990, 1, 1), dt.date(2018, 12, 31)), DEFAULT_TARGETS
    )
    settings = DriftSettings(current_days=args.current_days, threshold=args.threshold, quantile=args.quantile)
    rows, agreement = [], []
    for year in map(int, args.years.split(",")):
        days = [
            d.date()
            for d in conn.execute(
                "SELECT DISTINCT date FROM daily_features WHERE year(date) = ? ORDER BY date", [year]
            ).df()["date"]
        ]
        reference_end = conn.execute(
            "SELECT max(date) FROM daily_features WHERE year(date) < ?", [year]
        ).fetchall()
        shares, default_alarms, calibrated_days, alarms = [], 0, 0, 0
        for i, day in enumerate(days):
            frames = drift_frames(conn, day, reference_end[0][0], {}, settings)
            share, drifted = ks_share(frames.reference, frames.current)
            default_alarms += share >= EVIDENTLY_DATASET_DRIFT
            calibrated = calibrated_drift(frames.reference, frames.current, settings.quantile).share
            shares.append(calibrated)
            calibrated_days += calibrated > settings.threshold
            alarms += persistent_alarm(shares, settings.threshold, settings.persistence)
            if i % (len(days) // CHECKED_DAYS) == 0:
                with tempfile.TemporaryDirectory() as tmp:
                    _, columns = evidently_drift(frames.reference, frames.current, Path(tmp) / "r.html")
                evidently = {c for c, e in columns.items() if e["drifted"]}
                agreement.append(
                    {
                        "day": str(day),
                        "same": evidently == drifted,
                        "methods": sorted({e["method"] for e in columns.values()}),
                    }
                )
        rows.append(
            {
                "year": year,
                "days": len(days),
                "evidently_default_alarm_days": default_alarms,
                "evidently_default_alarm_rate": round(default_alarms / len(days), 3),
                "calibrated_drift_days": calibrated_days,
                "calibrated_drift_rate": round(calibrated_days / len(days), 3),
                "persistent_alarm_days": alarms,
                "persistent_alarm_rate": round(alarms / len(days), 3),
            }
        )
        print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    same = sum(a["same"] for a in agreement)
    print(f"K-S replication equals Evidently's drifted columns on {same} of {len(agreement)} checked days "
          f"(methods Evidently chose: {sorted({m for a in agreement for m in a['methods']})})")  # fmt: skip
    print(f"wall {time.perf_counter() - started:.1f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"settings": vars(settings), "years": rows, "evidently_check": agreement}, indent=2)
            + "\n"
        )
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
