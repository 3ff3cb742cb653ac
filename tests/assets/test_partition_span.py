"""Partitions span the data: FORGE_START_DATE / FORGE_END_DATE, and a fully built span shows 100% in the UI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from dagster import PartitionKeyRange

from forge_assets.partitions import configured_end, trading_days_partitions, walk_forward_partitions
from forge_jobs.demo import BUNDLED_SPAN, _weekday_on_or_after, _weekday_on_or_before

REPO = Path(__file__).resolve().parents[2]


def test_trading_days_end_on_the_configured_last_day() -> None:
    days = trading_days_partitions("1999-01-04", dt.date(2018, 12, 31))
    keys = days.get_partition_keys()
    assert keys == [d.strftime("%Y-%m-%d") for d in pd.bdate_range("1999-01-04", "2018-12-31")]
    assert days.get_last_partition_key() == "2018-12-31"


def test_without_an_end_trading_days_run_through_today() -> None:
    today = dt.datetime.now(dt.UTC).date()  # the partitions' timezone
    last_weekday = _weekday_on_or_before(today)
    assert trading_days_partitions("2024-01-01", None).get_last_partition_key() == last_weekday.isoformat()


def test_walk_forward_windows_end_with_the_last_month_the_end_completes() -> None:
    assert (
        walk_forward_partitions("2010-01-01", dt.date(2018, 12, 31)).get_last_partition_key() == "2018-12-01"
    )
    assert (
        walk_forward_partitions("2010-01-01", dt.date(2018, 12, 28)).get_last_partition_key() == "2018-11-01"
    )
    windows = walk_forward_partitions("2010-01-01", dt.date(2018, 12, 31)).get_partition_keys()
    assert len(windows) == 9 * 12  # the demo's backtest: every window of 2010-2018


def test_configured_end_reads_forge_end_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORGE_END_DATE", raising=False)
    assert configured_end() is None
    monkeypatch.setenv("FORGE_END_DATE", "2018-12-31")
    assert configured_end() == dt.date(2018, 12, 31)
    monkeypatch.setenv("FORGE_END_DATE", "31/12/2018")
    with pytest.raises(ValueError, match="FORGE_END_DATE must be a date as YYYY-MM-DD"):
        configured_end()


def test_the_demo_span_is_every_partition_of_the_bundled_span() -> None:
    """With FORGE_START_DATE=1999-01-04 and FORGE_END_DATE=2018-12-31 the demo's one run covers every partition."""
    days = trading_days_partitions(BUNDLED_SPAN[0].isoformat(), BUNDLED_SPAN[1])
    first, last = _weekday_on_or_after(BUNDLED_SPAN[0]), _weekday_on_or_before(BUNDLED_SPAN[1])
    run = days.get_partition_keys_in_range(PartitionKeyRange(first.isoformat(), last.isoformat()))
    assert run == days.get_partition_keys()


BUILD = """
import json, sys
from dagster import AssetKey
from forge_assets.partitions import trading_days
from forge_jobs.demo import run_main_job
from forge_jobs.instance import dagster_instance
import datetime as dt
ok = run_main_job(dt.date(2018, 12, 3), dt.date(2018, 12, 31))
instance = dagster_instance()
keys = ("raw_prices", "daily_features", "targets")
built = {key: len(instance.get_materialized_partitions(AssetKey(key))) for key in keys}
print(json.dumps({"ok": ok, "partitions": len(trading_days.get_partition_keys()), "built": built}))
"""


def test_a_fully_built_bundled_span_materialises_every_partition(tmp_path: Path) -> None:
    """The UI's fill: every trading_days partition of a span ending on the data's last day gets materialised."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_"))}
    env.update(
        FORGE_HOME=str(tmp_path / "forge"),
        FORGE_SOURCE="bundled",
        FORGE_START_DATE="2018-12-03",
        FORGE_END_DATE="2018-12-31",
    )
    done = subprocess.run(
        [sys.executable, "-c", BUILD], env=env, cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ok"]
    assert found["partitions"] == 21  # the weekdays of December 2018
    assert found["built"] == {key: 21 for key in ("raw_prices", "daily_features", "targets")}
