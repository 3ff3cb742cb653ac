"""Partitions span the data: FORGE_START_DATE / FORGE_END_DATE, and a fully built span shows 100% in the UI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import PartitionKeyRange

from forge_assets.partitions import (
    configured_end,
    configured_start,
    live_days_partitions,
    market_years_partitions,
    walk_forward_partitions,
)
from forge_jobs.demo import BUNDLED_SPAN

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("end", "last"),
    [("2019-01-04", "2019-01-04"), ("2019-01-05", "2019-01-04"), ("2019-01-07", "2019-01-07"),
     ("2019-01-03", "2019-01-03")],
)  # fmt: skip
def test_live_days_end_on_the_last_weekday_up_to_the_end(end: str, last: str) -> None:
    days = live_days_partitions(dt.date(2019, 1, 1), dt.date.fromisoformat(end))
    assert days.get_first_partition_key() == "2019-01-01" and days.get_last_partition_key() == last


def test_market_years_span_the_configured_days() -> None:
    years = market_years_partitions(dt.date(1999, 1, 4), dt.date(2018, 12, 31))
    assert years.get_partition_keys() == [str(year) for year in range(1999, 2019)]
    # a span ending mid-year still gets that year: its partition holds the days up to the end
    assert market_years_partitions(dt.date(2010, 6, 1), dt.date(2012, 3, 30)).get_partition_keys() == [
        "2010",
        "2011",
        "2012",
    ]


def test_without_an_end_market_years_run_through_this_year() -> None:
    this_year = dt.datetime.now(dt.UTC).date().year  # the partitions' timezone
    assert market_years_partitions(dt.date(2024, 1, 1), None).get_last_partition_key() == str(this_year)


def test_walk_forward_windows_end_with_the_last_month_the_end_completes() -> None:
    assert (
        walk_forward_partitions("2010-01-01", dt.date(2018, 12, 31)).get_last_partition_key() == "2018-12-01"
    )
    assert (
        walk_forward_partitions("2010-01-01", dt.date(2018, 12, 28)).get_last_partition_key() == "2018-11-01"
    )
    windows = walk_forward_partitions("2010-01-01", dt.date(2018, 12, 31)).get_partition_keys()
    assert len(windows) == 9 * 12  # the demo's backtest: every window of 2010-2018


def test_configured_span_reads_forge_start_and_end_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORGE_END_DATE", raising=False)
    monkeypatch.delenv("FORGE_START_DATE", raising=False)
    assert configured_end() is None
    assert configured_start() == dt.date(1999, 1, 1)
    monkeypatch.setenv("FORGE_END_DATE", "2018-12-31")
    monkeypatch.setenv("FORGE_START_DATE", "1999-01-04")
    assert (configured_start(), configured_end()) == (dt.date(1999, 1, 4), dt.date(2018, 12, 31))
    monkeypatch.setenv("FORGE_END_DATE", "31/12/2018")
    with pytest.raises(ValueError, match="FORGE_END_DATE must be a date as YYYY-MM-DD"):
        configured_end()


def test_the_demo_span_is_every_partition_of_the_bundled_span() -> None:
    """With FORGE_START_DATE=1999-01-04 and FORGE_END_DATE=2018-12-31 the demo's one run covers every partition."""
    years = market_years_partitions(*BUNDLED_SPAN)
    run = years.get_partition_keys_in_range(
        PartitionKeyRange(str(BUNDLED_SPAN[0].year), str(BUNDLED_SPAN[1].year))
    )
    assert run == years.get_partition_keys()


BUILD = """
import json, sys
from dagster import AssetKey
from forge_assets.partitions import market_years
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.definitions import defs
from forge_jobs.demo import run_main_job
from forge_jobs.instance import dagster_instance
import datetime as dt
ok = run_main_job(dt.date(2017, 12, 1), dt.date(2018, 12, 31))
instance = dagster_instance()
keys = ("raw_prices", "daily_features", "targets")
built = {key: sorted(instance.get_materialized_partitions(AssetKey(key))) for key in keys}
with open_warehouse(defs.resources["warehouse"].file, read_only=True) as conn:
    span = [str(day) for day in conn.execute("SELECT min(date), max(date) FROM raw_prices").fetchone()]
print(json.dumps({"ok": ok, "partitions": market_years.get_partition_keys(), "built": built, "span": span}))
"""


def test_a_fully_built_bundled_span_materialises_every_partition(tmp_path: Path) -> None:
    """The UI's fill: every market_years partition of a span ending on the data's last day gets materialised, and
    the first year's partition starts at FORGE_START_DATE, not on January 1st."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_"))}
    env.update(
        FORGE_HOME=str(tmp_path / "forge"),
        FORGE_SOURCE="bundled",
        FORGE_START_DATE="2017-12-01",
        FORGE_END_DATE="2018-12-31",
    )
    done = subprocess.run(
        [sys.executable, "-c", BUILD], env=env, cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ok"]
    assert found["partitions"] == ["2017", "2018"]
    assert found["built"] == {key: ["2017", "2018"] for key in ("raw_prices", "daily_features", "targets")}
    assert found["span"] == ["2017-12-01", "2018-12-31"]
