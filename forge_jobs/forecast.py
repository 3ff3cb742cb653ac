"""Print a live forecast with its intervals: ``python -m forge_jobs.forecast --symbol ^GSPC --as-of 2018-12-31``.

The forecast of the mean daily variance over the next h days of every target (or ``--target``), as variance and
as annualised volatility, with each calibrated central interval, made at the close of ``--as-of`` (default: the
last day with features). Nothing is written.

- **Published day.** When the daily job published that day's forecasts for the ``--alias`` set (``champion`` or
  ``challenger``), they are read back from ``daily_forecasts`` through the reader snapshot, loading no model:
  neither MLflow nor torch is imported (about a second).
- **Otherwise the sets are loaded** from the registry: the ``--alias`` set of each target; for a past
  ``--as-of`` with the champion, the version that was champion then (the last one ``daily_forecasts`` shows
  publishing as champion by that day; MLflow keeps no history of its aliases). A day before any publication is
  forecast with today's champion, in sample, and the command says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

import duckdb
import numpy as np
import pandas as pd

from forge_core import settings
from forge_core.live.published import (
    champion_version_on,
    last_feature_day,
    last_published_day,
    published_forecasts,
)
from forge_core.quantiles import INTERVAL_LEVELS, bound_column
from forge_core.roles import CHAMPION
from forge_core.targets import configured_targets
from forge_core.units import annualised_vol
from forge_core.warehouse.reader_snapshots import open_reader


def annualised(variance: float) -> str:
    """A daily variance as annualised volatility in percent, for people."""
    return f"{float(annualised_vol(np.array([variance]))[0]):.1f}%"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbol", required=True, action="append", help="a symbol; repeat for several")
    parser.add_argument(
        "--as-of", type=dt.date.fromisoformat, help="the close to forecast at (default: last day)"
    )
    parser.add_argument(
        "--target", action="append", default=[], help="a target (default: every configured one)"
    )
    parser.add_argument(
        "--alias", default=CHAMPION, help="champion, challenger, previous_champion, shadow_<member>"
    )
    return parser.parse_args(argv)


def _pinned_champions(
    conn: duckdb.DuckDBPyConnection, targets: list[str], day: dt.date
) -> tuple[dict[str, int], list[str]]:
    """For a past ``day``: per target, the version that was champion then, and the targets with none published by
    then (forecast with today's champion). Nothing for the last published day or later: today's champion."""
    last = last_published_day(conn)
    if last is None or day >= last:
        return {}, []
    versions = {t: champion_version_on(conn, t, day) for t in targets}
    return {t: v for t, v in versions.items() if v is not None}, [t for t, v in versions.items() if v is None]


def _loaded(
    args: argparse.Namespace, targets: list[str], day: dt.date, conn: duckdb.DuckDBPyConnection
) -> tuple[pd.DataFrame, str]:
    """The forecasts of the loaded sets (imported here: MLflow, and torch for a net, load only on this path)."""
    from forge_core.live.serving import ForecastServer
    from forge_core.tracking.config import default_tracking_config

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a bar per set downloaded
    versions, unpublished = _pinned_champions(conn, targets, day) if args.alias == CHAMPION else ({}, [])
    for target in unpublished:
        print(
            f"note: no {target} champion had published by {day}: forecasting with today's champion, in sample",
            file=sys.stderr,
        )
    started = time.perf_counter()
    server = ForecastServer.load(default_tracking_config(), targets, args.alias, versions=versions)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    rows = server.forecast(conn, args.symbol, day)
    served = time.perf_counter() - started
    pinned = ", ".join(f"{t} version {v} (champion on {day})" for t, v in versions.items())
    return rows, (
        f"loaded in {loaded:.2f} s{f' ({pinned})' if pinned else ''}, forecast in {1000 * served:.1f} ms "
        "(features read included)"
    )


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    configured = [spec.name for spec in configured_targets()]
    unknown = sorted(set(args.target) - set(configured))
    if unknown:
        print(f"error: unknown targets {unknown}; configured: {configured}", file=sys.stderr)
        return 2
    targets = list(args.target) or configured
    started = time.perf_counter()
    try:
        with open_reader(settings.WAREHOUSE.value() or settings.warehouse_path()) as conn:
            day = args.as_of or last_feature_day(conn)
            rows = published_forecasts(conn, args.symbol, day, targets, args.alias)
            if rows is not None:
                how = f"read from daily_forecasts in {1000 * (time.perf_counter() - started):.1f} ms (published)"
            else:
                rows, how = _loaded(args, targets, day, conn)
    except (LookupError, ValueError, FileNotFoundError) as error:
        # a symbol without features or model that day, a day without features, a missing alias or set, no data
        print(f"error: {error.args[0] if isinstance(error, KeyError) else error}", file=sys.stderr)
        return 2
    for row in rows.itertuples():
        print(
            f"{row.symbol} {row.target} at the close of {day}: {row.model} (version {row.model_version}, "
            f"{row.alias}) forecasts variance {row.forecast:.4e} = {annualised(row.forecast)} annualised"
        )
        for level in INTERVAL_LEVELS:
            low, high = getattr(row, bound_column("lower", level)), getattr(row, bound_column("upper", level))
            print(
                f"    {100 * level:g}% interval: {low:.4e} .. {high:.4e} ({annualised(low)} .. {annualised(high)})"
            )
    print(how)
    return 0


if __name__ == "__main__":
    sys.exit(main())
