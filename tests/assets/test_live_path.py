"""The live path through real Dagster runs: baselines backfilled, live models fitted and registered with their
roles, then a day's close ingested and every live set's forecasts published, checked and replaced on re-run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, instance_for_test, materialize

from forge_assets.daily_forecasts import daily_forecasts
from forge_assets.feature_importance import feature_importance
from forge_assets.forecast_drivers import forecast_drivers
from forge_assets.forecast_monitoring import drift_report, forecast_scores, promotions
from forge_assets.forecast_paths import forecast_paths
from forge_assets.live_models import live_models_asset
from forge_assets.market_close import market_close
from forge_assets.market_regimes import live_regimes
from forge_assets.model_families import family_assets
from forge_core.live.registry import aliases, load_set, promote
from forge_core.models.variants import ModelVariant
from forge_core.tracking import default_tracking_config
from forge_core.warehouse.connection import open_warehouse
from forge_jobs.rollback import rollback_job
from forge_resources import MarketDataResource
from tests.assets.test_baselines import BY_NAME, check_results, resources, run

FAMILIES = ("har", "log_har", "ewma")
MEMBERS = [BY_NAME[f"{family}_forecasts"] for family in FAMILIES]
LIVE = live_models_asset(MEMBERS)
AS_OF, DAY = "2019-06-28", "2019-07-01"
MARKET = MarketDataResource(
    source="synthetic", synthetic_symbols=2, synthetic_seed=7, synthetic_start="2016-01-04"
)


def fit_live(instance: DagsterInstance, warehouse: Path, target: str, recompute: bool = False) -> bool:
    config = {
        "families": list(FAMILIES),
        "combiners": ["equal", "stacking"],
        "as_of": AS_OF,
        "recompute": recompute,
    }
    return materialize(
        [LIVE],
        instance=instance,
        resources=resources(warehouse),
        partition_key=target,
        run_config={"ops": {"live_models": {"config": config}}},
        raise_on_error=False,
    ).success


def publish(instance: DagsterInstance, warehouse: Path, first: str = DAY, last: str = DAY):  # type: ignore[no-untyped-def]
    return materialize(
        [
            market_close,
            live_regimes,
            daily_forecasts,
            forecast_scores,
            promotions,
            drift_report,
            forecast_drivers,
            forecast_paths,
        ],
        instance=instance,
        resources={**resources(warehouse), "market_data": MARKET},
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        raise_on_error=False,
    )


@pytest.fixture
def backfilled(market: Path) -> Path:
    with instance_for_test() as instance:
        assert run(instance, MEMBERS, market, "rv_1d|2018-01-01", "rv_22d|2019-06-01").success
    return market


def test_retrain_then_publish_a_day(backfilled: Path) -> None:
    with instance_for_test() as instance:
        failed = publish(instance, backfilled)
        assert not failed.success  # no champion yet: nothing published
        assert "run the retrain job for rv_1d first" in str(
            failed.get_step_failure_events()[0].event_specific_data
        )
        for target in ("rv_1d", "rv_5d", "rv_22d"):
            assert fit_live(instance, backfilled, target)
            roles = aliases(default_tracking_config(), target)
            assert "champion" in roles and {f"shadow_{f}" for f in FAMILIES} <= set(roles)
        explained = materialize(
            [feature_importance], instance=instance, resources=resources(backfilled), partition_key="rv_5d"
        )
        with open_warehouse(backfilled, read_only=True) as conn:
            importance = conn.execute("SELECT * FROM feature_importance").df()
        assert set(importance["model"]) == {"har", "log_har"} and set(importance["target"]) == {"rv_5d"}
        assert (importance["additivity_gap"] < 1e-6).all() and (importance["symbols"] == 2).all()
        (event,) = explained.get_asset_materialization_events()
        assert "ewma" in event.materialization.metadata["not_explained"].value  # type: ignore[operator]
        assert {"figure_importance", "figure_beeswarm", "figure_waterfall"} <= set(
            event.materialization.metadata
        )
        result = publish(instance, backfilled)
        assert result.success and set(check_results(result).values()) == {True}
        with open_warehouse(backfilled, read_only=True) as conn:
            rows = conn.execute("SELECT * FROM daily_forecasts ORDER BY ALL").df()
        assert set(rows["as_of"].astype(str)) == {DAY} and set(rows["target"]) == {"rv_1d", "rv_5d", "rv_22d"}
        assert (
            rows.groupby(["target", "symbol"])["role"].apply(lambda r: (r == "champion").sum()) == 1
        ).all()
        assert (rows["fitted_as_of"].astype(str) == AS_OF).all()
        with open_warehouse(backfilled, read_only=True) as conn:
            drivers = conn.execute("SELECT * FROM forecast_drivers").df()
        (event,) = [
            e for e in result.get_asset_materialization_events() if e.asset_key.path == ["forecast_drivers"]
        ]
        not_explained = event.materialization.metadata["not_explained"].value
        assert isinstance(not_explained, dict)
        assert set(drivers["target"]) | set(not_explained) == {
            "rv_1d",
            "rv_5d",
            "rv_22d",
        }  # each: drivers or why
        assert len(drivers) == 3 * 2 * len(set(drivers["target"]))  # top 3 per symbol and explained target
        with open_warehouse(backfilled, read_only=True) as conn:
            fans = conn.execute("SELECT * FROM forecast_paths").df()
            regimes = conn.execute("SELECT * FROM regimes").df()
            models = conn.execute("SELECT * FROM regime_models").df()
        assert set(regimes["date"].astype(str)) == {DAY} and len(regimes) == 2 * 2  # symbols x regimes
        assert set(models["window_start"].astype(str)) == {"2019-07-01"} and len(models) == 2
        assert set(fans["model"]) == {"log_har"} and set(fans["target"]) == {
            "rv_1d"
        }  # the one that simulates
        assert len(fans) == 2 * 2 * 22 and (fans["q05"] <= fans["q95"]).all()  # symbols x quantities x days
        (paths_event,) = [
            e for e in result.get_asset_materialization_events() if e.asset_key.path == ["forecast_paths"]
        ]
        paths_metadata = paths_event.materialization.metadata
        assert [m.split(" (")[0] for m in paths_metadata["simulated"].value] == [
            "log_har"
        ]  # what it simulated
        not_simulated = paths_metadata["not_simulated"].value
        assert not_simulated and all(not key.startswith("log_har ") for key in not_simulated)
        assert all("ensemble" in why for key, why in not_simulated.items() if key.startswith("ensemble_"))
        assert publish(instance, backfilled).success  # the same day again: replaced, never doubled

        def explain_past(day: str) -> bool:
            return materialize(
                [forecast_drivers],
                instance=instance,
                resources={**resources(backfilled), "market_data": MARKET},
                partition_key=DAY,
                run_config={"ops": {"forecast_drivers": {"config": {"backtest_days": [day]}}}},
                raise_on_error=False,
            ).success

        assert not explain_past("2019-03-02")  # a Saturday: no features, refused
        assert explain_past("2019-03-01")  # a backtest day on request, beside the partition's own
        with open_warehouse(backfilled, read_only=True) as conn:
            days = conn.execute("SELECT DISTINCT as_of::VARCHAR FROM forecast_drivers ORDER BY 1").fetchall()
        assert days == [("2019-03-01",), (DAY,)]
        with open_warehouse(backfilled, read_only=True) as conn:
            again = conn.execute("SELECT count(*) FROM daily_forecasts").fetchone()
            fans_again = conn.execute("SELECT * FROM forecast_paths ORDER BY ALL").df()
        assert again == (len(rows),)
        pd.testing.assert_frame_equal(  # the same paths: seeded by symbol and day
            fans_again.drop(columns="created_at"),
            fans.sort_values(list(fans.columns)).reset_index(drop=True).drop(columns="created_at"),
        )

        # a week of days with a challenger beside the champion: scores as targets realise, decisions recorded
        kept = aliases(default_tracking_config(), "rv_1d")
        assert fit_live(instance, backfilled, "rv_1d")  # the same inputs: kept, nothing registered
        assert aliases(default_tracking_config(), "rv_1d") == kept
        assert fit_live(instance, backfilled, "rv_1d", recompute=True)
        assert "challenger" in aliases(default_tracking_config(), "rv_1d")
        week = publish(instance, backfilled, "2019-07-01", "2019-07-05")
        assert week.success and set(check_results(week).values()) == {True}
        with open_warehouse(backfilled, read_only=True) as conn:
            scores = conn.execute("SELECT * FROM forecast_scores WHERE target = 'rv_1d'").df()
            decisions = conn.execute("SELECT * FROM promotions").df()
        assert set(scores["realised_on"].astype(str)) == {
            "2019-07-02",
            "2019-07-03",
            "2019-07-04",
            "2019-07-05",
        }
        assert (scores["qlike"] >= 0).all() and scores["covered_90"].mean() > 0.5
        assert list(decisions["action"]) == ["kept"] and decisions["reason"].iloc[0].startswith(
            "only 4 shadow days"
        )
        with open_warehouse(backfilled, read_only=True) as conn:
            drift = conn.execute("SELECT * FROM drift_reports ORDER BY day").df()
        week = ["2019-07-01", "2019-07-02", "2019-07-03", "2019-07-04", "2019-07-05"]
        assert list(drift["day"].astype(str)) == week and drift["drift_share"].between(0, 1).all()
        assert all(Path(report).is_file() for report in drift["report"])
        assert (drift["reference_end"].astype(str) == AS_OF).all()
        last = instance.get_latest_materialization_event(AssetKey("drift_report"))
        assert last is not None and last.asset_materialization is not None
        metadata = last.asset_materialization.metadata
        assert metadata["report"].value == Path(drift["report"].iloc[-1]).as_uri()  # a link in the UI
        tested, skipped = metadata["columns"].value, metadata["skipped_columns"].value
        assert isinstance(tested, str) and isinstance(skipped, dict) and "nan" not in tested
        # the families' walk-forward forecasts start after the reference does, and still calibrate a threshold;
        # an ensemble's were not backfilled here, which the report says
        for target, model in rows[rows["role"] == "champion"].groupby("target")["model"].first().items():
            column = f"log_forecast_{target}"
            if model.startswith("ensemble_"):
                assert skipped[column].startswith(f"no walk-forward forecasts of {model} in the reference")
            else:
                assert f"| {column} " in tested and column not in skipped

        # rollback: refused without a previous champion, then restores it and is recorded
        def roll_back() -> bool:
            return rollback_job.execute_in_process(
                run_config={"ops": {"roll_back_champion": {"config": {"target": "rv_1d"}}}},
                instance=instance,
                resources=resources(backfilled),
                raise_on_error=False,
            ).success

        assert not roll_back()
        first_champion = aliases(default_tracking_config(), "rv_1d")["champion"]
        promote(default_tracking_config(), "rv_1d")
        assert aliases(default_tracking_config(), "rv_1d")["champion"] != first_champion
        assert roll_back()
        assert aliases(default_tracking_config(), "rv_1d")["champion"] == first_champion
        with open_warehouse(backfilled, read_only=True) as conn:
            assert (
                conn.execute("SELECT action FROM promotions ORDER BY created_at").df()["action"].iloc[-1]
                == "rolled_back"
            )


def test_a_feature_variant_is_retrained_and_served_like_a_family(market: Path) -> None:
    variant = family_assets(variants=[ModelVariant.parse("log_har_with_vix")]).variants["log_har_with_vix"]
    members = [BY_NAME["log_har_forecasts"], variant]
    with instance_for_test() as instance:
        assert run(instance, members, market, "rv_1d|2018-01-01", "rv_1d|2019-06-01").success
        retrained = materialize(
            [live_models_asset(members)],
            instance=instance,
            resources=resources(market),
            partition_key="rv_1d",
            run_config={"ops": {"live_models": {"config": {"combiners": ["equal"], "as_of": AS_OF}}}},
            raise_on_error=False,
        )
        assert retrained.success
    config = default_tracking_config()
    assert {"shadow_log_har", "shadow_log_har_with_vix", "shadow_ensemble_equal"} <= set(
        aliases(config, "rv_1d")
    )
    served = load_set(config, "rv_1d", "shadow_log_har_with_vix").fitted
    assert served.member == "log_har_with_vix"
    model = next(iter(served.models.values()))
    assert model.family == "log_har" and model.hyper.exog == "vix_variance"
