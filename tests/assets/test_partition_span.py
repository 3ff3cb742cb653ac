"""Partitions span the data: the source's when FORGE_START_DATE / FORGE_END_DATE are unset, and a fully built span
shows 100% in the UI; the demo runs on a folder of any span with no variables set."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dagster import PartitionKeyRange

from forge_assets.partitions import (
    configured_end,
    configured_live_start,
    configured_start,
    configured_walk_forward_start,
    live_days_partitions,
    market_years_partitions,
    walk_forward_partitions,
    walk_forward_start,
)
from forge_core.data.span import bundled_span
from forge_jobs.demo import window_range
from tests.assets.test_baselines import windows_table
from tests.core.test_data_span import write_bars

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


def test_walk_forward_windows_run_through_the_month_of_the_last_day() -> None:
    """The last window may be partial: data ending mid-month, or on a month's first day, has that month's window."""
    for end, last in [
        ("2018-12-31", "2018-12-01"),
        ("2018-12-28", "2018-12-01"),
        ("2013-03-01", "2013-03-01"),
    ]:
        windows = walk_forward_partitions(dt.date(2010, 1, 1), dt.date.fromisoformat(end))
        assert windows.get_last_partition_key() == last
    keys = walk_forward_partitions(dt.date(2010, 1, 1), dt.date(2018, 12, 31)).get_partition_keys()
    assert len(keys) == 9 * 12  # the demo's backtest: every window of 2010-2018
    this_month = dt.datetime.now(dt.UTC).date().replace(day=1)  # the partitions' timezone
    assert walk_forward_partitions(dt.date(2020, 1, 1), None).get_last_partition_key() == str(this_month)


@pytest.mark.parametrize(
    ("first", "last", "start"),
    [
        ("1999-01-04", "2018-12-31", "2002-01-01"),  # three years of data before the first window
        ("2010-01-04", "2013-03-15", "2011-10-01"),  # less, for 18 windows of history behind the live models
        ("2011-06-01", "2013-03-15", "2012-08-01"),  # but never less than 14 months of training rows
        ("2012-01-02", "2013-03-15", "2013-03-01"),  # nor after the last window
    ],
)
def test_the_first_walk_forward_window_follows_the_data(first: str, last: str, start: str) -> None:
    assert walk_forward_start(
        dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    ) == dt.date.fromisoformat(start)


def test_a_live_feed_walks_forward_to_this_month() -> None:
    this_month = dt.date.today().replace(day=1)
    assert walk_forward_start(dt.date(2000, 1, 3), None) == dt.date(2003, 1, 1)
    assert walk_forward_start(this_month - dt.timedelta(days=40), None) == this_month


DATE_VARIABLES = ("FORGE_START_DATE", "FORGE_END_DATE", "FORGE_WALK_FORWARD_START", "FORGE_LIVE_START_DATE")


def test_unset_dates_follow_the_source_and_set_ones_win(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*DATE_VARIABLES, "FORGE_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    assert (configured_start(), configured_end()) == (dt.date(1999, 1, 4), dt.date(2018, 12, 31))  # bundled
    assert configured_walk_forward_start(configured_start(), configured_end()) == dt.date(2002, 1, 1)
    assert configured_live_start(configured_end()) == dt.date(2018, 10, 1)
    monkeypatch.setenv("FORGE_END_DATE", "today")
    assert configured_end() is None
    monkeypatch.setenv("FORGE_END_DATE", "2017-06-30")
    monkeypatch.setenv("FORGE_START_DATE", "2005-01-03")
    monkeypatch.setenv("FORGE_WALK_FORWARD_START", "2016-01-01")
    monkeypatch.setenv("FORGE_LIVE_START_DATE", "2017-06-01")
    assert (configured_start(), configured_end()) == (dt.date(2005, 1, 3), dt.date(2017, 6, 30))
    assert configured_walk_forward_start(configured_start(), configured_end()) == dt.date(2016, 1, 1)
    assert configured_live_start(configured_end()) == dt.date(2017, 6, 1)
    monkeypatch.setenv("FORGE_END_DATE", "31/12/2018")
    with pytest.raises(
        ValueError, match="FORGE_END_DATE='31/12/2018': expected a date as YYYY-MM-DD, or today"
    ):
        configured_end()


def test_the_demo_span_is_every_partition_of_the_bundled_span() -> None:
    """With no variables the demo's one run covers every market_years partition of the bundled data."""
    span = bundled_span()
    assert span.last is not None
    years = market_years_partitions(span.first, span.last)
    run = years.get_partition_keys_in_range(PartitionKeyRange(str(span.first.year), str(span.last.year)))
    assert run == years.get_partition_keys()


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a new user: no FORGE_ or DAGSTER_ variable but a private FORGE_HOME and ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORGE_", "DAGSTER_"))}
    return {**env, "FORGE_HOME": str(tmp_path / "forge"), **settings}


PARTITIONS = """
import json
from forge_assets.partitions import live_days, market_years, walk_forward_windows
found = {"years": market_years, "windows": walk_forward_windows, "days": live_days}
print(json.dumps({name: [p.get_first_partition_key(), p.get_last_partition_key(), len(p.get_partition_keys())]
                  for name, p in found.items()}))
"""


def partitions_in(env: dict[str, str]) -> dict[str, list[str | int]]:
    """First key, last key and count of each partition set, as a code location started in ``env`` defines them."""
    done = subprocess.run(
        [sys.executable, "-c", PARTITIONS], env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found: dict[str, list[str | int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_bundled_data_needs_no_variables(tmp_path: Path) -> None:
    """No variables give the partitions that `make demo` used to set (FORGE_START_DATE=1999-01-04 and
    FORGE_END_DATE=2018-12-31): the same demo, the same results."""
    derived = partitions_in(clean_env(tmp_path))
    assert derived == partitions_in(
        clean_env(tmp_path, FORGE_START_DATE="1999-01-04", FORGE_END_DATE="2018-12-31")
    )
    assert derived == {
        "years": ["1999", "2018", 20],
        "windows": ["2002-01-01", "2018-12-01", 17 * 12],
        "days": ["2018-10-01", "2018-12-31", 66],  # the last day's month and the two before it
    }


def last_weekday(day: dt.date) -> dt.date:
    return dt.date.fromisoformat(str(np.busday_offset(np.datetime64(day, "D"), 0, roll="backward")))


@pytest.mark.parametrize("case", ["first weekday of a month", "mid-month in 2013", "yesterday"])
def test_partitions_follow_a_folder_with_no_variables(case: str, tmp_path: Path) -> None:
    today = dt.datetime.now(dt.UTC).date()
    first, last = {
        "first weekday of a month": (dt.date(2010, 1, 4), dt.date(2013, 3, 1)),  # a Friday
        "mid-month in 2013": (dt.date(2011, 6, 1), dt.date(2013, 3, 15)),
        "yesterday": (dt.date(today.year - 3, 6, 1), last_weekday(today - dt.timedelta(days=1))),
    }[case]
    write_bars(tmp_path / "bars", first, last)
    found = partitions_in(clean_env(tmp_path, FORGE_SOURCE="files", FORGE_FILES_PATH=str(tmp_path / "bars")))
    if case == "first weekday of a month":
        assert found == {
            "years": ["2010", "2013", 4],
            "windows": ["2011-10-01", "2013-03-01", 18],  # the last: March, of one day
            "days": ["2013-01-01", "2013-03-01", 44],
        }
    elif case == "mid-month in 2013":
        assert found == {
            "years": ["2011", "2013", 3],
            "windows": ["2012-08-01", "2013-03-01", 8],
            "days": ["2013-01-01", "2013-03-15", 54],
        }
    else:  # a live feed: through today, growing with it
        this_month = today.replace(day=1)
        assert found["years"] == [str(first.year), str(today.year), 4]
        assert found["windows"][:2] == [str(walk_forward_start(first, None)), str(this_month)]
        assert found["days"][0] == str(
            np.busday_offset(np.datetime64(today.replace(month=1, day=1)), 0, "forward")
        )
        assert found["days"][1] == str(last_weekday(today))


def test_a_missing_folder_gives_one_line_and_the_definitions_load(tmp_path: Path) -> None:
    env = clean_env(tmp_path, FORGE_SOURCE="files", FORGE_FILES_PATH=str(tmp_path / "nowhere"))
    done = subprocess.run(
        [sys.executable, "-c", "from forge_jobs.definitions import defs; print(len(defs.resolve_all_job_defs()))"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in done.stderr.splitlines() if "nowhere" in line]
    assert "folder does not exist" in line and "partitions run 1999-01-01 .. today" in line
    assert "Traceback" not in done.stderr


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


REFRESH = """
import datetime as dt, json
from dagster import AssetKey, AssetRecordsFilter
from forge_core.forecasting.forecast_store import stored_windows
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.definitions import defs
from forge_jobs.demo import run_main_job
from forge_jobs.instance import dagster_instance
from forge_jobs.launch import RANGE_END, RANGE_START, run_job

def digests():
    with open_warehouse(defs.resources["warehouse"].file, read_only=True) as conn:
        return {str(day): w.inputs_digest[:12] for day, w in stored_windows(conn, "rv_1d", "har").items()}

before = digests()
assert run_main_job(dt.date(2010, 1, 4), dt.date(2013, 3, 29))  # as the demo builds it
instance = dagster_instance()
tags = {RANGE_START: "rv_1d|2011-10-01", RANGE_END: "rv_1d|2013-03-01"}  # as the demo walks them
assert run_job(defs.resolve_job_def("baselines_job"), instance, tags=tags).success
def table(window):  # the windows table of the partition's latest materialisation
    key = AssetRecordsFilter(asset_key=AssetKey("har_forecasts"), asset_partitions=[f"rv_1d|{window}"])
    (record,) = instance.fetch_materializations(key, limit=1).records
    return record.asset_materialization.metadata["windows_table"].value

tables = {window: table(window) for window in ("2013-02-01", "2013-03-01")}
print(json.dumps({"before": before, "after": digests(), "tables": tables}))
"""


def test_the_demo_runs_on_a_folder_ending_mid_month_and_refits_the_partial_window_later(
    tmp_path: Path,
) -> None:
    """`python -m forge_jobs.demo` with no variables on a folder ending mid-month: its windows are clamped to the
    walk-forward windows there are (the first 2011-10, the last March 2013, partial). When the rest of March
    arrives, walking the windows again refits March (its digest changes) and keeps the complete months, as the
    metadata shows."""
    folder = tmp_path / "bars"
    write_bars(folder, dt.date(2010, 1, 4), dt.date(2013, 3, 15))
    env = clean_env(tmp_path, FORGE_SOURCE="files", FORGE_FILES_PATH=str(folder))
    demo = subprocess.run(
        [sys.executable, "-m", "forge_jobs.demo", "--live-sessions", "1"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    assert "market_data_job succeeded for the years 2010 .. 2013" in demo.stdout
    assert "daily job for each session of 2013-03-15 .. 2013-03-15 (1)): succeeded" in demo.stdout

    write_bars(folder, dt.date(2010, 1, 4), dt.date(2013, 3, 29))
    done = subprocess.run(
        [sys.executable, "-c", REFRESH], env=env, cwd=REPO, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    before, after = found["before"], found["after"]
    assert sorted(before)[0] == "2011-10-01" and sorted(before)[-1] == "2013-03-01"
    shown = {}
    for window, table in found["tables"].items():
        (shown[window],) = windows_table(table)  # the partition's own window alone
    assert [row["window"] for row in shown.values()] == list(shown)
    assert (shown["2013-02-01"]["kept"], shown["2013-02-01"]["digest"]) == ("True", before["2013-02-01"])
    assert (shown["2013-03-01"]["kept"], shown["2013-03-01"]["digest"]) == ("False", after["2013-03-01"])
    assert after["2013-03-01"] != before["2013-03-01"]


def test_demo_ranges_are_cut_to_the_walk_forward_windows() -> None:
    """The tests' windows run 2002-01 through this month (tests/conftest.py)."""
    assert window_range(dt.date(2000, 5, 17), dt.date(2003, 2, 10)) == (
        dt.date(2002, 1, 1),
        dt.date(2003, 2, 1),
    )
    with pytest.raises(
        ValueError, match=r"no walk-forward window in 1990-01-01 \.\. 1995-01-01: the windows run 2002"
    ):
        window_range(dt.date(1990, 1, 1), dt.date(1995, 1, 1))


def test_a_range_without_windows_stops_the_demo_with_one_sentence(tmp_path: Path) -> None:
    days = ["--start", "2018-01-02", "--end", "2018-12-31", "--no-live"]
    backtest = ["--backtest", "--backtest-start", "1990-01-01", "--backtest-end", "1995-01-01"]
    done = subprocess.run(
        [sys.executable, "-m", "forge_jobs.demo", *days, *backtest],
        env=clean_env(tmp_path), cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "backtest refused: no walk-forward window in 1990-01-01 .. 1995-01-01: the windows run 2002-01-01 .. "
        "2018-12-01"
    )
    assert "Traceback" not in done.stderr
