"""Daily publication: every aliased set forecasts the day once under its strongest role; re-running a day
replaces its rows; a day without features or a symbol without a model is named, nothing guessed."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from forge_core.live.daily_publication import day_histories, publish_day, write_day
from forge_core.live.published import NoFeatures
from forge_core.live.registry import assign_roles, published_sets, register_set
from forge_core.quantiles import BOUND_COLUMNS, QUANTILE_COLUMNS
from forge_core.tracking import default_tracking_config
from forge_core.warehouse.quality import daily_forecasts_quality
from tests.core.live.conftest import AS_OF, SPEC, live_fit

DAY = dt.date(2018, 1, 3)
BAD_ROWS = {  # what the blocking check counts, and a change to one published row that makes it
    "degenerate_bands": "upper_50 = upper_95, upper_80 = upper_95, upper_90 = upper_95",
    "point_outside_50_band": "forecast = upper_50 * 1.01",
    "skewed_flag_inside_band": "skewed = true",
}


def test_a_day_is_published_by_every_role_and_replaced_on_rerun(warehouse: duckdb.DuckDBPyConnection) -> None:
    config = default_tracking_config()
    fit = live_fit(warehouse)
    for _ in range(2):  # two retrainings: a champion, then a challenger beside it
        roles = assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    sets = published_sets(config, SPEC.name)
    assert len(sets) == len(set(roles.values()))  # every aliased version once
    assert sorted(s.role for s in sets).count("champion") == 1 and any(s.role == "challenger" for s in sets)

    histories = day_histories(warehouse, SPEC, DAY)
    publication = publish_day(histories, SPEC, DAY, sets)
    rows = publication.rows
    assert len(rows) == 2 * len(sets) and set(rows["symbol"]) == {"^GSPC", "^IXIC"}
    assert (rows["as_of"].dt.date == DAY).all() and (rows["fitted_as_of"].dt.date == AS_OF).all()
    assert rows[[*QUANTILE_COLUMNS, *BOUND_COLUMNS, "forecast"]].gt(0).all().all()
    assert (rows["lower_95"] <= rows["lower_50"]).all() and (rows["upper_50"] <= rows["upper_95"]).all()
    champion = rows[rows["role"] == "champion"]
    assert champion["model_version"].nunique() == 1 and champion["model"].iloc[0] == fit.sets[0].member

    for _ in range(2):
        written = write_day(warehouse, DAY, [publication])
    stored = warehouse.execute("SELECT count(*) FROM daily_forecasts WHERE as_of = ?", [DAY]).fetchone()
    assert written == len(rows) and stored == (len(rows),)
    assert not any(daily_forecasts_quality(warehouse, DAY).values())
    assert (rows["upper_50"] < rows["upper_95"]).all() and not rows["skewed"].any()
    assert rows["forecast"].between(rows["lower_50"], rows["upper_50"]).all()  # the point inside its 50% band

    newcomer = {**histories, "^NEW": histories["^GSPC"].assign(symbol="^NEW")}
    skipped = publish_day(newcomer, SPEC, DAY, sets)
    assert "^NEW" in skipped.skipped and "^NEW" not in set(skipped.rows["symbol"])


def test_a_day_without_features_is_refused_with_the_last_one(warehouse: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(
        NoFeatures, match=r"no daily features on 2018-01-06 \(last day with features: 2018-01-05\)"
    ):
        day_histories(warehouse, SPEC, dt.date(2018, 1, 6))


def test_a_bounded_read_forecasts_as_the_whole_history(warehouse: duckdb.DuckDBPyConnection) -> None:
    """A set that needs a few rows reads only a margin before the day, and forecasts exactly as from all rows."""
    for fitted in live_fit(warehouse).sets:
        rows = fitted.rows_needed()
        whole = day_histories(warehouse, SPEC, DAY)
        bounded = day_histories(warehouse, SPEC, DAY, rows=rows)
        if rows is not None:
            assert all(rows <= len(h) < len(whole[s]) for s, h in bounded.items())
        assert fitted.forecast(bounded).equals(fitted.forecast(whole))


@pytest.mark.parametrize("defect", list(BAD_ROWS))
def test_the_blocking_check_counts_incoherent_bands(
    warehouse: duckdb.DuckDBPyConnection, defect: str
) -> None:
    config = default_tracking_config()
    fit = live_fit(warehouse)
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    publication = publish_day(
        day_histories(warehouse, SPEC, DAY), SPEC, DAY, published_sets(config, SPEC.name)
    )
    write_day(warehouse, DAY, [publication])
    warehouse.execute(
        f"UPDATE daily_forecasts SET {BAD_ROWS[defect]} WHERE rowid = (SELECT min(rowid) FROM daily_forecasts)"
    )
    counts = daily_forecasts_quality(warehouse, DAY)
    assert counts[defect] == 1 and sum(counts.values()) == 1
