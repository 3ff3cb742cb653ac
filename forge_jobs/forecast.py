"""Print a live forecast with its intervals: ``python -m forge_jobs.forecast --symbol ^GSPC --as-of 2018-12-31``.

Loads the ``--alias`` set (default the champion) of every target (or ``--target``) from the registry of this code
location's tracking resource, reads the symbol's features up to the day from its warehouse, and prints the
forecast of the mean daily variance over the next h days, as variance and as annualised volatility, with each
calibrated central interval. Nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

import numpy as np

from forge_core.live.daily_publication import last_feature_day
from forge_core.live.registry import MissingAlias
from forge_core.live.serving import ForecastServer
from forge_core.quantiles import INTERVAL_LEVELS, bound_column
from forge_core.roles import CHAMPION
from forge_core.units import annualised_vol
from forge_core.warehouse.reader_snapshots import open_reader
from forge_jobs.resources import resources_from_env
from forge_resources import MlflowResource, WarehouseResource


def annualised(variance: float) -> str:
    """A daily variance as annualised volatility in percent, for people."""
    return f"{float(annualised_vol(np.array([variance]))[0]):.1f}%"


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # a bar per set downloaded
    resources = resources_from_env()
    warehouse, tracking = resources["warehouse"], resources["tracking"]
    assert isinstance(warehouse, WarehouseResource) and isinstance(tracking, MlflowResource)
    started = time.perf_counter()
    try:
        server = ForecastServer.load(tracking.config(), args.target, args.alias)
    except (MissingAlias, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    loaded = time.perf_counter() - started
    with open_reader(warehouse.file) as conn:
        day = args.as_of or last_feature_day(conn)
        started = time.perf_counter()
        try:
            rows = server.forecast(conn, args.symbol, day)
        except LookupError as error:  # a symbol without features or model that day, or a day without features
            print(f"error: {error.args[0]}", file=sys.stderr)
            return 2
        served = time.perf_counter() - started
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
    print(f"loaded in {loaded:.2f} s, forecast in {1000 * served:.1f} ms (features read included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
