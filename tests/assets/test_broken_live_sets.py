"""A daily run with broken live sets (rv_1d's champion has a truncated member file, rv_5d's a deleted one):
the healthy target is published, the run fails at the end naming the others (target, model, version, alias,
file) and the assets after daily_forecasts do not run; with the fallback on, rv_1d publishes with its previous
champion, recorded in promotions."""

from __future__ import annotations

from pathlib import Path

from dagster import DagsterInstance, ExecuteInProcessResult, instance_for_test, materialize

from forge_assets.daily_forecasts import daily_forecasts
from forge_assets.forecast_monitoring import forecast_scores
from forge_assets.live_models import live_models_asset
from forge_core.live.registry import aliases, load_set, promote
from forge_core.tracking import default_tracking_config, tracking_client
from forge_core.tracking.fits import model_artifacts
from forge_core.warehouse.connection import open_warehouse
from tests.assets.test_baselines import BY_NAME, resources, run
from tests.assets.test_live_path import AS_OF, DAY, MARKET

MEMBERS = [BY_NAME["har_forecasts"]]
LIVE = live_models_asset(MEMBERS)


def fit_live(instance: DagsterInstance, warehouse: Path, target: str, recompute: bool = False) -> None:
    config = {"families": ["har"], "combiners": [], "as_of": AS_OF, "recompute": recompute}
    assert materialize(
        [LIVE],
        instance=instance,
        resources=resources(warehouse),
        partition_key=target,
        run_config={"ops": {"live_models": {"config": config}}},
    ).success


def break_champion(target: str, truncate: bool) -> str:
    """Truncate or delete one model file of ``target``'s champion; returns the start of the error naming it."""
    config = default_tracking_config()
    loaded = load_set(config, target, "champion")
    with model_artifacts(tracking_client(config), config.tracking_uri, loaded.run_id, "breaking") as folder:
        file = sorted(folder.rglob("model.json"))[0]
        if truncate:
            file.write_text(file.read_text()[:40])
        else:
            file.unlink()
        named = f"model/{file.relative_to(folder)}"
    registered = f"volatilityforge-{target} version {loaded.version} (alias champion)"
    return f"{target}: {registered} cannot be loaded: {named} is "


def publish(instance: DagsterInstance, warehouse: Path, fallback: bool) -> ExecuteInProcessResult:
    return materialize(
        [daily_forecasts, forecast_scores],
        selection=[daily_forecasts.key, forecast_scores.key],
        instance=instance,
        resources={**resources(warehouse), "market_data": MARKET},
        partition_key=DAY,
        run_config={"ops": {"daily_forecasts": {"config": {"fallback_to_previous_champion": fallback}}}},
        raise_on_error=False,
    )


def failure(result: ExecuteInProcessResult) -> str:
    (event,) = result.get_step_failure_events()
    assert event.step_key == "daily_forecasts"
    assert not result.get_asset_materialization_events()  # nothing after it ran
    described = event.step_failure_data.user_failure_data
    assert described is not None and described.description is not None
    return described.description


def published(warehouse: Path) -> dict[str, set[int]]:
    with open_warehouse(warehouse, read_only=True) as conn:
        rows = conn.execute(
            "SELECT target, model_version FROM daily_forecasts WHERE role = 'champion' AND as_of = ?", [DAY]
        ).fetchall()
    return {target: {v for t, v in rows if t == target} for target, _ in rows}


def test_broken_sets_are_named_the_others_published_and_the_champion_falls_back(market: Path) -> None:
    with instance_for_test() as instance:
        assert run(instance, MEMBERS, market, "rv_1d|2018-01-01", "rv_22d|2019-06-01").success
        for target in ("rv_1d", "rv_5d", "rv_22d"):
            fit_live(instance, market, target)
        fit_live(instance, market, "rv_1d", recompute=True)  # rv_1d again: a challenger, promoted
        roles = promote(default_tracking_config(), "rv_1d")
        truncated, deleted = break_champion("rv_1d", truncate=True), break_champion("rv_5d", truncate=False)

        message = failure(publish(instance, market, fallback=False))
        first = message.splitlines()[0]
        assert first.startswith("could not publish rv_1d, rv_5d (published: rv_22d): ")
        assert f"{truncated}not valid JSON at line " in first and f"{deleted}missing" in first
        assert set(published(market)) == {"rv_22d"}

        message = failure(publish(instance, market, fallback=True))
        assert message.startswith(f"could not publish rv_5d (published: rv_1d, rv_22d): {deleted}missing")
        assert "no previous_champion to fall back to" in message
        assert published(market)["rv_1d"] == {roles["previous_champion"]}
        with open_warehouse(market, read_only=True) as conn:
            (decision,) = conn.execute(
                "SELECT target, action, champion_version, challenger_version, reason FROM promotions"
            ).fetchall()
        assert decision[:4] == ("rv_1d", "fallback", roles["previous_champion"], roles["champion"])
        assert truncated in decision[4]
        assert aliases(default_tracking_config(), "rv_1d") == roles  # no alias moved
