"""A live set with a truncated or deleted file: loading it names the target, the registered model, the version, the
alias and the file; with the fallback on, previous_champion publishes in the champion role and the fallback is
recorded in promotions once; a target's rows of a day are replaced without touching another target's."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from forge_core.live.daily_publication import day_histories, publish_day, write_day, write_days
from forge_core.live.registry import (
    BrokenSet,
    aliases,
    assign_roles,
    load_set,
    promote,
    published_sets,
    register_set,
)
from forge_core.tracking import default_tracking_config, tracking_client
from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.fits import model_artifacts
from tests.core.live.conftest import SPEC, live_fit

DAY = dt.date(2018, 1, 3)
DAMAGE = {
    "truncated": r"is not valid JSON at line \d+ column \d+",
    "deleted": "is missing",
    "folder deleted": "is missing",
}


def break_a_file(config: TrackingConfig, alias: str, damage: str) -> tuple[int, str]:
    """Truncate or delete one model file (a member's, for an ensemble) of ``alias``'s set, or its whole folder, in
    place in the registry's artifact store; returns the version and the path in the run's artifacts."""
    loaded = load_set(config, SPEC.name, alias)
    with model_artifacts(tracking_client(config), config.tracking_uri, loaded.run_id, "breaking") as folder:
        if damage == "folder deleted":
            shutil.rmtree(folder)
            return loaded.version, folder.name
        file = sorted(folder.rglob("model.json"))[0]
        if damage == "truncated":
            file.write_text(file.read_text()[:40])
        else:
            file.unlink()
        return loaded.version, f"{folder.name}/{file.relative_to(folder)}"


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_broken_champion_is_named_and_falls_back_on_request(
    warehouse: duckdb.DuckDBPyConnection, damage: str
) -> None:
    config = default_tracking_config()
    fit = live_fit(warehouse, families=("har",), combiners=())
    for _ in range(2):  # a champion, then a challenger promoted over it
        assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    roles = promote(config, SPEC.name)
    version, file = break_a_file(config, "champion", damage)

    for load in (lambda: load_set(config, SPEC.name, "champion"), lambda: published_sets(config, SPEC.name)):
        with pytest.raises(BrokenSet) as raised:
            load()
        first = str(raised.value).splitlines()[0]
        assert first.startswith(
            f"rv_1d: volatilityforge-rv_1d version {version} (alias champion) cannot be loaded"
        )
        assert f": {file} is " in first
        assert raised.match(DAMAGE[damage])

    sets = published_sets(config, SPEC.name, fallback=True)
    (champion,) = [s for s in sets if s.role == "champion"]
    assert champion.version == roles["previous_champion"] and version not in {s.version for s in sets}
    assert champion.fallback is not None and champion.fallback.champion_version == version
    publication = publish_day(day_histories(warehouse, SPEC, DAY), SPEC, DAY, sets)
    warehouse.execute("DELETE FROM promotions")
    for _ in range(2):  # a re-run of the same fallback is recorded once
        written = write_days(warehouse, {DAY: [publication]}, "run-1")
    published = warehouse.execute(
        "SELECT DISTINCT model_version FROM daily_forecasts WHERE as_of = ? AND role = 'champion'", [DAY]
    ).fetchall()
    (decision,) = warehouse.execute(
        "SELECT action, champion_version, challenger_version, reason, first_day, run_id FROM promotions"
    ).fetchall()
    assert written == len(publication.rows) and published == [(roles["previous_champion"],)]
    assert decision[:3] == ("fallback", roles["previous_champion"], version)
    assert str(file) in decision[3] and decision[4:] == (DAY, "run-1")
    assert aliases(config, SPEC.name) == roles  # the fallback moves no alias


def test_a_target_is_replaced_without_touching_the_others(warehouse: duckdb.DuckDBPyConnection) -> None:
    config = default_tracking_config()
    fit = live_fit(warehouse, families=("har",), combiners=())
    assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    publication = publish_day(
        day_histories(warehouse, SPEC, DAY), SPEC, DAY, published_sets(config, SPEC.name)
    )
    other = type(publication)("rv_other", DAY, publication.rows.assign(target="rv_other"))
    write_day(warehouse, DAY, [publication, other])
    write_day(warehouse, DAY, [publication])  # rv_other's rows stay
    counts = warehouse.execute(
        "SELECT target, count(*) FROM daily_forecasts WHERE as_of = ? GROUP BY target ORDER BY target", [DAY]
    ).fetchall()
    assert counts == [("rv_1d", len(publication.rows)), ("rv_other", len(publication.rows))]
    warehouse.execute("DELETE FROM daily_forecasts")
