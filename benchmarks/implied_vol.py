"""Implied volatilities of a million option quotes: our vectorised solver beside Let's Be Rational, per quote.

    python benchmarks/implied_vol.py [--quotes 1000000] [--reference-sample 20000] [--json PATH]

Quotes: forward 100, log-moneyness N(0, 0.3), maturities 1 day to 2 years, volatilities 5-150%, calls and puts,
priced exactly (``black_price``). Times ``implied_vol`` on all of them (best of three) and the reference
(``py_lets_be_rational``, one Python call per quote) on a sample, scaled to the same count; reports how many were
solved and the largest relative error against the volatility each price came from, over the quotes whose time
value is positive (not underflowed to 0) and at least 1e-6 of the price (the rest are flagged or solved to the
digits their price carries). Aim: 1
million quotes in <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import py_lets_be_rational as lbr

from forge_core.options.implied_vol import black_price, implied_vol


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quotes", type=int, default=1_000_000)
    parser.add_argument("--reference-sample", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.quotes
    f = np.full(n, 100.0)
    k = 100 * np.exp(rng.normal(0, 0.3, n))
    t = rng.uniform(1 / 365, 2, n)
    v = rng.uniform(0.05, 1.5, n)
    call = rng.random(n) < 0.5
    price = black_price(f, k, t, v, call)
    times = []
    for _ in range(3):
        started = time.perf_counter()
        result = implied_vol(price, f, k, t, call)
        times.append(time.perf_counter() - started)
    time_value = price - np.maximum(np.where(call, f - k, k - f), 0.0)
    carried = (time_value > 1e-290 * np.sqrt(f * k)) & (
        time_value >= 1e-6 * price
    )  # a price with digits to solve
    ours_error = float(np.abs(result.vol[carried & result.solved] / v[carried & result.solved] - 1).max())
    m = min(args.reference_sample, n)
    started = time.perf_counter()
    reference = []
    for p, kk, tt, c in zip(price[:m], k[:m], t[:m], call[:m], strict=True):
        try:
            reference.append(
                lbr.implied_volatility_from_a_transformed_rational_guess(p, 100.0, kk, tt, 1 if c else -1)
            )
        except (lbr.exceptions.BelowIntrinsicException, lbr.exceptions.AboveMaximumException):
            reference.append(np.nan)
    reference_seconds = (time.perf_counter() - started) * n / m
    theirs = np.array(reference)
    sample = carried[:m] & np.isfinite(theirs)
    reference_error = float(np.abs(theirs[sample] / v[:m][sample] - 1).max())
    row = {
        "quotes": n,
        "seconds": round(min(times), 3),
        "lets_be_rational_seconds": round(reference_seconds, 1),
        "solved": int(result.solved.sum()),
        "flags": result.counts(),
        "max_relative_error": ours_error,
        "lets_be_rational_max_relative_error": reference_error,
        "aim_seconds": 2.0,
    }
    for key, value in row.items():
        print(f"{key:36s} {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(row, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
