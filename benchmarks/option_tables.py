"""How fast the option feature tables build, beside their pandas reference.

    python benchmarks/option_tables.py [--symbols 50] [--years 5] [--reference-symbols 5] [--json PATH]

Synthetic chains (72 quotes per symbol and day: four expiries, nine strikes, calls and puts) for ``--symbols``
symbols over ``--years`` years, generated and priced (implied volatility and greeks) in chunks of 25 symbols into a
DuckDB file; then ``option_features`` is built in SQL for the whole span, timed, and the pandas reference
(``option_features_reference``, a loop over symbol-days) is timed on the first ``--reference-symbols`` symbols and
scaled to all of them. Prints quotes, seconds per stage and the SQL / reference ratio.
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

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.market_tables import build_market_tables
from forge_core.options.option_features import build_option_features, option_features_reference
from forge_core.options.priced_quotes import priced_quotes
from forge_core.options.synthetic_chains import option_chains
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

CHUNK = 25


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--reference-symbols", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    first, last = dt.date(2014, 1, 1), dt.date(2013 + args.years, 12, 31)
    source = SyntheticSource(args.symbols, seed=9, start=dt.date(2013, 1, 2), today=last)
    window = DateWindow(first, last + dt.timedelta(days=1))
    with tempfile.TemporaryDirectory() as folder:
        conn = duckdb.connect(str(Path(folder) / "options.duckdb"))
        for ddl in table_ddl():
            conn.execute(ddl)
        started = time.perf_counter()
        build_market_tables(conn, source.load(dt.date(2013, 1, 2), last), (TargetSpec("rv_1d", 1),))
        market = time.perf_counter() - started
        generated = priced = 0.0
        quotes = 0
        for lo in range(0, args.symbols, CHUNK):
            started = time.perf_counter()
            chains = option_chains(source, first, last, symbols=source.symbols[lo : lo + CHUNK])
            generated += time.perf_counter() - started
            started = time.perf_counter()
            quotes += len(chains)
            append_priced(conn, chains)
            priced += time.perf_counter() - started
            print(f"  symbols {lo}..{lo + CHUNK - 1}: {len(chains)} quotes", flush=True)
        started = time.perf_counter()
        rows = build_option_features(conn, window)
        sql_seconds = time.perf_counter() - started
        subset = source.symbols[: args.reference_symbols]
        stored = conn.execute(
            "SELECT * FROM option_quotes WHERE list_contains($s, symbol)", {"s": subset}
        ).df()
        features = conn.execute("SELECT symbol, date, sq_return_m FROM daily_features").df()
        started = time.perf_counter()
        option_features_reference(stored, features)
        reference_seconds = (time.perf_counter() - started) * args.symbols / len(subset)
    result = {
        "symbols": args.symbols,
        "years": args.years,
        "quotes": quotes,
        "feature_rows": rows,
        "market_tables_seconds": round(market, 2),
        "chain_generation_seconds": round(generated, 2),
        "pricing_and_write_seconds": round(priced, 2),
        "option_features_sql_seconds": round(sql_seconds, 2),
        "pandas_reference_seconds_scaled": round(reference_seconds, 1),
        "reference_symbols_timed": len(subset),
    }
    for key, value in result.items():
        print(f"{key:34s} {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


def append_priced(conn: duckdb.DuckDBPyConnection, chains: pd.DataFrame) -> None:
    """Some symbols' quotes priced and appended (``write_option_quotes`` replaces a whole window, every symbol)."""
    stamped = priced_quotes(chains).assign(created_at=pd.Timestamp.now(tz="UTC").tz_localize(None))
    conn.register("incoming_quotes", stamped)
    conn.execute("INSERT INTO option_quotes BY NAME SELECT * FROM incoming_quotes")
    conn.unregister("incoming_quotes")


if __name__ == "__main__":
    sys.exit(main())
