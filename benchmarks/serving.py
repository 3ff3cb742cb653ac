"""Serving speed: forecasts from live sets loaded once by alias, for one symbol and for a whole market.

    python benchmarks/serving.py [--symbols 500] [--json benchmarks/results/serving.json]

Builds a synthetic market of ``--symbols`` symbols (2016 to mid-2019) in a temporary FORGE_HOME, walks HAR and
log-HAR over the yearly windows 2018-2019 for every target (the out-of-sample history the calibration needs),
fits the live sets at 2019-06-28, registers them (an ensemble of the two becomes champion if it ranks first) and
loads every target's champion with ``ForecastServer``. Then it times, median of repeats:

- one forecast (one symbol, one target) from features already in memory, and with its features read from DuckDB;
- every symbol x every target from features in memory, and with the features read from DuckDB.

Aims (issue "The production loop"): one forecast < 10 ms after load; 500 symbols x 3 targets <= 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

AS_OF = dt.date(2019, 6, 28)
FAMILIES = ("har", "log_har")


def timed(work: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    home = tempfile.mkdtemp(prefix="forge_serving_")
    os.environ["FORGE_HOME"] = home
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    from forge_core.data.synthetic import SyntheticSource
    from forge_core.date_window import yearly_windows
    from forge_core.forecasting.forecast_store import load_member_history, write_window
    from forge_core.forecasting.panel import load_panel
    from forge_core.forecasting.walk_forward import TrainingScheme, walk_forward
    from forge_core.live import LiveSettings, fit_live
    from forge_core.live.daily_publication import day_histories
    from forge_core.live.registry import assign_roles, register_set
    from forge_core.live.serving import ForecastServer
    from forge_core.market_tables import build_market_tables
    from forge_core.targets import DEFAULT_TARGETS
    from forge_core.tracking import default_tracking_config
    from forge_core.warehouse.connection import open_warehouse

    started = time.perf_counter()
    warehouse = Path(home) / "warehouse.duckdb"
    source = SyntheticSource(args.symbols, seed=7, start=dt.date(2016, 1, 4), today=dt.date(2019, 7, 31))
    config = default_tracking_config()
    with open_warehouse(warehouse) as conn:
        build_market_tables(conn, source.load(dt.date(2016, 1, 4), dt.date(2019, 7, 31)), DEFAULT_TARGETS)
        end = AS_OF + dt.timedelta(days=1)
        for spec in DEFAULT_TARGETS:
            panel = load_panel(conn, spec, end)
            for family in FAMILIES:
                for result in walk_forward(
                    panel, spec, family, yearly_windows(dt.date(2018, 1, 1), AS_OF), TrainingScheme()
                ):
                    write_window(conn, result, TrainingScheme())
            fit = fit_live(
                panel,
                load_member_history(conn, spec.name, end),
                spec,
                LiveSettings(AS_OF, FAMILIES, ("equal_log",)),
            )
            assign_roles(config, spec.name, [(s, register_set(config, s, "benchmark")) for s in fit.sets])
    print(f"set-up ({args.symbols} symbols, 3 targets): {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    server = ForecastServer.load(config)
    load_s = time.perf_counter() - started
    with open_warehouse(warehouse, read_only=True) as conn:
        histories = {spec.name: day_histories(conn, spec, AS_OF) for spec in DEFAULT_TARGETS}
        one_symbol = sorted(histories["rv_1d"])[0]
        one = {one_symbol: histories["rv_1d"][one_symbol]}
        results = {
            "load_champions_s": load_s,
            "one_forecast_in_memory_s": timed(lambda: server.forecast_histories("rv_1d", one), 50),
            "one_forecast_with_read_s": timed(
                lambda: ForecastServer(
                    {"rv_1d": server.specs["rv_1d"]}, {"rv_1d": server.sets["rv_1d"]}
                ).forecast(conn, [one_symbol], AS_OF),
                10,
            ),
            "all_symbols_all_targets_in_memory_s": timed(
                lambda: [server.forecast_histories(t, h) for t, h in histories.items()], 5
            ),
            "all_symbols_all_targets_with_read_s": timed(
                lambda: server.forecast(conn, sorted(histories["rv_1d"]), AS_OF), 3
            ),
        }
    champions = {t: f"{s.fitted.member} v{s.version}" for t, s in server.sets.items()}
    print(f"champions: {champions}")
    print(f"{'measure':<40} {'seconds':>10}")
    for name, value in results.items():
        print(f"{name:<40} {value:>10.4f}")
    print(f"aims: one forecast < 0.010 s; {args.symbols} symbols x 3 targets <= 1 s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "symbols": args.symbols,
            "targets": 3,
            "as_of": str(AS_OF),
            "champions": champions,
            "seconds": results,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
