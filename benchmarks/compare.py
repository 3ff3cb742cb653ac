"""Compare two ``accuracy.py`` JSON results metric by metric: the largest absolute and relative differences.

``python benchmarks/compare.py benchmarks/results/accuracy_bundled_parkinson_monthly.json /tmp/new.json`` prints,
per metric, how many (symbol, target, model) cells were compared and the largest differences, then the overall
largest relative difference; metrics only one file has are listed, not compared. It exits 1 when the two hold
different (symbol, target, model) cells or a boolean (MCS membership) differs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd


def cells(path: Path) -> dict[tuple[str, str, str, str], object]:
    """(symbol, target, model, metric) -> value of an ``accuracy.py`` JSON file."""
    results = json.loads(path.read_text())["results"]
    return {
        (symbol, target, model, metric): value
        for symbol, by_target in results.items()
        for target, by_model in by_target.items()
        for model, metrics in by_model.items()
        for metric, value in metrics.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("recorded", type=Path)
    parser.add_argument("measured", type=Path)
    args = parser.parse_args(argv)
    old, new = cells(args.recorded), cells(args.measured)
    models_old, models_new = ({key[:3] for key in side} for side in (old, new))
    if models_old != models_new:
        print(f"different (symbol, target, model) cells: {sorted(models_old ^ models_new)[:10]}")
        return 1
    only = sorted({key[3] for key in set(old) ^ set(new)})
    if only:  # metrics a newer report adds (or an older one had): listed, not compared
        print(f"metrics in one file only (not compared): {only}")
    rows, mismatched = [], []
    for key, before in old.items():
        if key not in new:
            continue
        after = new[key]
        if isinstance(before, bool | str):
            if before != after:
                mismatched.append((key, before, after))
            continue
        a, b = float(before), float(after)  # type: ignore[arg-type]
        if math.isnan(a) and math.isnan(b):
            continue
        rows.append({"metric": key[3], "abs": abs(a - b), "rel": abs(a - b) / max(abs(a), abs(b), 1e-300)})
    table = (
        pd.DataFrame(rows)
        .groupby("metric")
        .agg(cells=("abs", "size"), max_abs=("abs", "max"), max_rel=("rel", "max"))
    )
    print(table.to_string(float_format=lambda v: f"{v:.3g}"))
    print(f"\nlargest relative difference over {len(rows)} numbers: {table['max_rel'].max():.3g}")
    for key, before, after in mismatched:
        print(f"differs: {key}: {before} -> {after}")
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
