"""The ``forecast`` command's wall time and peak memory, each call a fresh interpreter as a user runs it.

    make demo && python benchmarks/cli.py [--home .forge] [--repeats 3] [--json benchmarks/results/cli.json]

On the demo's state folder (``--home``, default the repository's ``.forge``), it runs
``python -m forge_jobs.forecast --symbol ^GSPC`` under ``/usr/bin/time`` ``--repeats`` times per case and prints
the median wall seconds and the largest peak resident memory (MB):

- ``published``: the last close, which the demo's daily job published: read back from ``daily_forecasts`` with no
  model loaded (aims: <= 1.5 s, <= 300 MB);
- ``loaded``: a day that was not published (the close before the first published one), so every target's champion
  is loaded from the registry and computed (aim: <= 4 s);

and, for each, which of mlflow, torch, shap and dagster the command imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("mlflow", "torch", "shap", "dagster")
PROBE = (
    "import sys, runpy; sys.argv = ['forecast', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('forge_jobs.forecast', run_name='__main__')\n"
    f"finally:\n    print('imported:', ','.join(m for m in {HEAVY} if m in sys.modules) or '-', file=sys.stderr)\n"
)


def run(home: Path, args: list[str]) -> tuple[float, float, str, str]:
    """Wall seconds, peak MB, the heavy modules imported and stdout of one call."""
    env = {**os.environ, "FORGE_HOME": str(home)}
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", sys.executable, "-c", PROBE, *args],
        capture_output=True, text=True, env=env, cwd=REPO, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"forecast {' '.join(args)} failed:\n{done.stderr}")
    lines = done.stderr.strip().splitlines()
    wall, kb = lines[-1].split()
    imported = next(line for line in lines if line.startswith("imported:")).split(": ", 1)[1]
    return float(wall), int(kb) / 1024, imported, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, default=REPO / ".forge")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    import duckdb

    snapshot = args.home / "warehouse.read.duckdb"
    if not snapshot.exists():
        raise SystemExit(f"no reader snapshot {snapshot}: run `make demo` first")
    with duckdb.connect(str(snapshot), read_only=True) as conn:
        (last,) = conn.execute("SELECT max(as_of) FROM daily_forecasts").fetchone() or (None,)
        (before,) = conn.execute(
            "SELECT max(date) FROM daily_features WHERE date < (SELECT min(as_of) FROM daily_forecasts)"
        ).fetchone() or (None,)
    cases = {
        "published": ["--symbol", "^GSPC", "--as-of", str(last)],
        "loaded": ["--symbol", "^GSPC", "--as-of", str(before)],
    }
    rows = []
    for case, argv in cases.items():
        runs = [run(args.home, argv) for _ in range(args.repeats)]
        rows.append(
            {
                "case": case,
                "as_of": str(last if case == "published" else before),
                "wall_s_median": round(statistics.median(r[0] for r in runs), 2),
                "wall_s_runs": [r[0] for r in runs],
                "peak_mb_max": round(max(r[1] for r in runs)),
                "imported": runs[-1][2],
                "how": runs[-1][3].strip().splitlines()[-1],
            }
        )
    print(f"{'case':<10} {'as_of':<11} {'wall s (median)':>15} {'peak MB':>8}  imported")
    for row in rows:
        figures = f"{row['wall_s_median']:>15} {row['peak_mb_max']:>8}"
        print(f"{row['case']:<10} {row['as_of']:<11} {figures}  {row['imported']}")
        print(f"{'':<10} {row['how']}")
    if args.json:
        doc = {
            "cases": rows,
            "home": str(args.home),
            "repeats": args.repeats,
            "measured": dt.date.today().isoformat(),
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        args.json.with_suffix(".txt").write_text(
            "\n".join(f"{r['case']}: {r['wall_s_median']} s median, {r['peak_mb_max']} MB, imported {r['imported']}"
                      for r in rows) + "\n"
        )  # fmt: skip


if __name__ == "__main__":
    main()
