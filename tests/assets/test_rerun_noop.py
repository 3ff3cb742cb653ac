"""Re-running the same day is a no-op: the walk-forward windows, a retraining and the daily job, run twice on the
same data, add no MLflow version, refit no window and change no forecast (the live day's features and targets are
those of the whole build, bit for bit, so every inputs digest is the same)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import instance_for_test
from mlflow import MlflowClient

from forge_core.tracking import default_tracking_config
from forge_core.warehouse.connection import open_warehouse
from tests.assets.test_baselines import run
from tests.assets.test_live_path import MEMBERS, fit_live, publish

TARGETS = ("rv_1d", "rv_5d", "rv_22d")
WINDOWS = ("rv_1d|2018-01-01", "rv_22d|2019-06-01")  # the 250 scored days a live set needs
STATE = {  # every table the loop writes, without the time a row was written
    "raw_prices": "*",
    "daily_features": "*",
    "targets": "*",
    "forecasts": "* EXCLUDE (created_at)",
    "window_inputs": "* EXCLUDE (created_at)",
    "daily_forecasts": "* EXCLUDE (created_at)",
}


def state(warehouse: Path) -> dict[str, pd.DataFrame]:
    with open_warehouse(warehouse, read_only=True) as conn:
        columns = {
            t: {c for (c,) in conn.execute(f"SELECT name FROM pragma_table_info('{t}')").fetchall()}
            for t in STATE
        }
        return {
            table: conn.execute(
                f"SELECT {what if 'created_at' in columns[table] else '*'} FROM {table} ORDER BY ALL"
            ).df()
            for table, what in STATE.items()
        }


def versions() -> dict[str, int]:
    client = MlflowClient(default_tracking_config().tracking_uri, default_tracking_config().registry_uri)
    return {
        m.name: len(client.search_model_versions(f"name = '{m.name}'"))
        for m in client.search_registered_models()
    }


def test_the_loop_run_twice_on_the_same_day_changes_nothing(market: Path) -> None:
    with instance_for_test() as instance:
        passes = []
        for _ in range(2):
            walked = run(instance, MEMBERS, market, *WINDOWS)
            assert walked.success
            refits = [
                e.user_message for e in instance.all_logs(walked.run_id) if "fitted in" in e.user_message
            ]
            for target in TARGETS:
                assert fit_live(instance, market, target)
            assert publish(instance, market).success
            passes.append((refits, versions(), state(market)))
    (first_refits, first_versions, first_state), (refits, again_versions, again_state) = passes
    assert first_refits and refits == []  # the second pass kept every window
    assert again_versions == first_versions and sum(first_versions.values()) > 0  # no new version
    for table, rows in first_state.items():
        pd.testing.assert_frame_equal(again_state[table], rows, check_exact=True, obj=table)
