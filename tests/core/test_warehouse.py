"""The DuckDB warehouse rules: retrying opens, all-or-nothing partition writes, quality counts."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.warehouse.connection import RetryPolicy, WarehouseBusyError, connect, open_warehouse
from forge_core.warehouse.partition_writes import replace_window, replace_window_from_frame
from forge_core.warehouse.quality import raw_prices_quality
from tests.conftest import load_raw

HOLD_LOCK = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def hold_lock(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that opens the warehouse for writing and keeps it for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


@pytest.fixture
def bars() -> pd.DataFrame:
    return SyntheticSource(2, seed=1, start=dt.date(2024, 1, 1)).load(
        dt.date(2024, 1, 1), dt.date(2024, 3, 29)
    )


def snapshot(path: Path) -> pd.DataFrame:
    with open_warehouse(path, read_only=True) as conn:
        return conn.execute("SELECT * FROM raw_prices ORDER BY ALL").df()


def test_open_gives_up_with_a_clear_error_while_another_process_writes(warehouse_file: Path) -> None:
    duckdb.connect(str(warehouse_file)).close()
    holder = hold_lock(warehouse_file, 30)
    try:
        started = time.monotonic()
        with pytest.raises(
            WarehouseBusyError, match=r"could not open warehouse .*warehouse\.duckdb after \d+ attempts"
        ):
            connect(warehouse_file, retry=RetryPolicy(timeout_s=1.0))
        assert time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()


def test_open_retries_until_the_other_writer_lets_go(warehouse_file: Path) -> None:
    duckdb.connect(str(warehouse_file)).close()
    holder = hold_lock(warehouse_file, 1.5)
    try:
        conn = connect(warehouse_file, retry=RetryPolicy(timeout_s=30.0, base_delay_s=0.05, max_delay_s=0.5))
        conn.close()
    finally:
        holder.wait()
    assert holder.returncode == 0


def test_retry_delays_are_jittered_and_capped() -> None:
    import random

    policy, rng = RetryPolicy(base_delay_s=0.1, max_delay_s=1.0), random.Random(0)
    delays = [policy.delay(attempt, rng) for attempt in range(12)]
    assert all(0 <= d <= min(1.0, 0.1 * 2**k) for k, d in enumerate(delays))
    assert len(set(delays)) == len(delays)


def test_a_failed_partition_write_leaves_the_table_as_it_was(
    warehouse_file: Path, bars: pd.DataFrame
) -> None:
    load_raw(warehouse_file, bars)
    before = snapshot(warehouse_file)
    march = DateWindow(dt.date(2024, 3, 1), dt.date(2024, 4, 1))
    with open_warehouse(warehouse_file) as conn, pytest.raises(duckdb.ConstraintException):
        # the DELETE succeeds, the second insert violates NOT NULL: the whole transaction must roll back
        replace_window(
            conn,
            "raw_prices",
            "date",
            march,
            [
                ("SELECT * FROM raw_prices WHERE false", {}),
                ("SELECT 'X' AS symbol, DATE '2024-03-04' AS date, NULL::DOUBLE AS open", {}),
            ],
        )
    pd.testing.assert_frame_equal(snapshot(warehouse_file), before)


def test_frame_rows_outside_the_window_are_refused(warehouse_file: Path, bars: pd.DataFrame) -> None:
    with open_warehouse(warehouse_file) as conn, pytest.raises(ValueError, match="fall outside"):
        replace_window_from_frame(
            conn, "raw_prices", "date", DateWindow(dt.date(2024, 2, 1), dt.date(2024, 3, 1)), bars
        )


def test_raw_price_quality_counts_each_kind_of_defect(warehouse_file: Path, bars: pd.DataFrame) -> None:
    span = load_raw(warehouse_file, bars)
    with open_warehouse(warehouse_file) as conn:
        assert raw_prices_quality(conn, span).passed
        conn.execute("UPDATE raw_prices SET high = low / 2 WHERE date = DATE '2024-01-02'")
        conn.execute("UPDATE raw_prices SET volume = -1 WHERE date = DATE '2024-01-03' AND symbol = 'SYN000'")
        conn.execute(
            "UPDATE raw_prices SET close = 'inf'::DOUBLE WHERE date = DATE '2024-01-04' AND symbol = 'SYN001'"
        )
        report = raw_prices_quality(conn, span)
    assert not report.passed
    assert report.defects == {
        "non_finite_values": 1,
        "high_below_open_or_close": 4,  # three symbols on 2 Jan (VIX too) plus the infinite close
        "negative_volume": 1,
    }
