"""Speed of Monte Carlo paths: 10,000 paths x 22 days per symbol, ours beside arch's own simulation forecast.

    python benchmarks/paths.py [--paths 10000] [--days 22] [--repeats 20] [--json benchmarks/results/paths.json]

On each bundled index (S&P 500, NASDAQ), a GJR-GARCH(1,1,1)-t is fitted by the platform (``gjr_garch``, percent
returns 2010-2018) and simulated from the last close by ``forge_core.paths.garch_paths``; arch's
``forecast(method="simulation")`` of the same parameters on the same returns draws the same number of paths, and
the daily log-HAR filtered historical simulation (``LogHarSimulator``, Parkinson proxy) is timed beside them. It
prints the median milliseconds of ``--repeats`` calls and the mean simulated variance of day 22 against the analytic
forecast (both ours and arch's), and writes them with ``--json``. Aim (issue "Why the forecast says what it
says ..."): <= 50 ms per symbol.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from arch import arch_model

from forge_core.data.bundled import BundledSource
from forge_core.features.reference import compute_daily_features
from forge_core.models import ForecastTask, create_model
from forge_core.models.garch import PERCENT, GarchModel
from forge_core.paths import LogHarSimulator, garch_mean_variance, garch_paths

SYMBOLS = ("^GSPC", "^IXIC")
SPAN = (dt.date(2010, 1, 1), dt.date(2018, 12, 31))


def timed(work: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``repeats`` calls (after one warm-up call)."""
    work()
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return 1000 * statistics.median(seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=22)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    bars = BundledSource().load(*SPAN)
    results = {}
    for symbol in SYMBOLS:
        rows = compute_daily_features(bars[bars["symbol"] == symbol]).dropna(subset=["log_return"])
        rows = rows[rows["parkinson_d"] > 0].reset_index(drop=True)
        model = create_model("gjr_garch", ForecastTask(1, "parkinson"))
        assert isinstance(model, GarchModel)
        model.fit(rows, rows["parkinson_d"].shift(-1))
        s = model.state
        sigma2 = float(model.one_step_variance(rows)[-1])
        params = pd.Series([s.omega, s.alpha, s.gamma, s.beta, s.nu],
                           index=["omega", "alpha[1]", "gamma[1]", "beta[1]", "nu"])  # fmt: skip
        fixed = arch_model(
            PERCENT * rows["log_return"].to_numpy(), mean="Zero", vol="GARCH", p=1, o=1, q=1, dist="t",
            rescale=False,
        ).fix(params)  # fmt: skip

        def arch_simulation(fixed=fixed):  # type: ignore[no-untyped-def]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fixed.forecast(
                    horizon=args.days, method="simulation", simulations=args.paths, reindex=False
                )

        simulator = LogHarSimulator.fit(rows["parkinson_d"].to_numpy(), rows["log_return"].to_numpy(), symbol)
        recent = rows["parkinson_d"].to_numpy()[-22:]
        ours = garch_paths(s, sigma2, args.days, args.paths, seed=1)
        theirs = arch_simulation()
        analytic = garch_mean_variance(s, sigma2, args.days)[-1]
        results[symbol] = {
            "garch_paths_ms": timed(
                lambda s=s, sigma2=sigma2: garch_paths(s, sigma2, args.days, args.paths), args.repeats
            ),
            "arch_simulation_ms": timed(arch_simulation, max(3, args.repeats // 4)),
            "log_har_fhs_ms": timed(
                lambda sim=simulator, recent=recent: sim.paths(recent, args.days, args.paths), args.repeats
            ),
            "day_variance_ratio_ours": float(ours.mean_variance[-1] / analytic),
            "day_variance_ratio_arch": float(theirs.variance.to_numpy()[0, -1] / PERCENT**2 / analytic),
        }
        print(symbol, {k: round(v, 3) for k, v in results[symbol].items()}, flush=True)
    table = pd.DataFrame(results).T
    print(f"\n{args.paths} paths x {args.days} days (median ms); day-{args.days} mean variance / analytic")
    print(table.round(3).to_string())
    print("aim: <= 50 ms per symbol")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "paths": args.paths,
            "days": args.days,
            "cpus": 2,
            "results": results,
            "numpy": np.__version__,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
