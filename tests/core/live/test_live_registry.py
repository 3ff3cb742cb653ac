"""The live registry: fitted sets as versions of one model per target, roles by alias, promotion and rollback."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from forge_core.forecasting.panel import load_panel
from forge_core.live.registry import (
    MissingAlias,
    aliases,
    assign_roles,
    live_model_name,
    load_set,
    promote,
    register_set,
    rollback,
)
from forge_core.tracking import default_tracking_config, tracking_client
from tests.core.live.conftest import AS_OF, SPEC, live_fit


def test_roles_promotion_and_rollback(warehouse: duckdb.DuckDBPyConnection) -> None:
    config = default_tracking_config()
    fit = live_fit(warehouse)
    with pytest.raises(MissingAlias, match=r"has no 'champion' .*run the retrain job for rv_1d first"):
        load_set(config, SPEC.name, "champion")
    first = [(s, register_set(config, s, "test")) for s in fit.sets]
    roles = assign_roles(config, SPEC.name, first)
    best = first[0]
    assert roles["champion"] == best[1] and "challenger" not in roles
    assert {a for a in roles if a.startswith("shadow_")} == {f"shadow_{s.member}" for s, _ in first}
    loaded = load_set(config, SPEC.name, "champion")
    assert loaded.version == best[1] and loaded.fitted.member == best[0].member
    panel = load_panel(warehouse, SPEC, AS_OF + dt.timedelta(days=1))
    histories = {str(s): rows.reset_index(drop=True) for s, rows in panel.groupby("symbol")}
    if not loaded.fitted.is_ensemble:
        pd.testing.assert_frame_equal(loaded.fitted.forecast(histories), best[0].forecast(histories))

    second = [
        (s, register_set(config, s, "test")) for s in fit.sets[1:]
    ]  # a retraining without the best member
    roles = assign_roles(config, SPEC.name, second)
    assert roles["champion"] == best[1] and roles["challenger"] == second[0][1]
    assert f"shadow_{best[0].member}" not in roles  # its member was not refitted

    roles = promote(config, SPEC.name)
    assert (
        roles["champion"] == second[0][1]
        and roles["previous_champion"] == best[1]
        and "challenger" not in roles
    )
    roles = rollback(config, SPEC.name)
    assert roles["champion"] == best[1] and roles["previous_champion"] == second[0][1]
    with pytest.raises(MissingAlias, match="no challenger to promote"):
        promote(config, SPEC.name)

    tracking_client(config).delete_model_version(live_model_name(SPEC.name), str(best[1]))
    assert "champion" not in aliases(config, SPEC.name)
    with pytest.raises(MissingAlias, match="has no 'champion'"):
        load_set(config, SPEC.name, "champion")


def test_versions_say_what_they_hold_and_the_champion_is_named(warehouse: duckdb.DuckDBPyConnection) -> None:
    """MLflow users read each version's set in its description, the champion in the model's tag, and the set's
    recent scores as metrics of its run (QLIKE, MSE, its ratio to HAR's, each band's coverage and width); a set
    without a HAR set beside it has no ratio, and its run says why."""
    config = default_tracking_config()
    fit = live_fit(warehouse)
    roles = assign_roles(config, SPEC.name, [(s, register_set(config, s, "test")) for s in fit.sets])
    client, name = tracking_client(config), live_model_name(SPEC.name)
    assert client.get_registered_model(name).tags["champion"] == f"version {roles['champion']}"
    for fitted in fit.sets:
        (version,) = [
            v
            for v in client.search_model_versions(f"name='{name}'")
            if v.description.startswith(fitted.member)
        ]
        assert f"fitted on rows realised by {AS_OF}" in version.description
        assert f"recent out-of-sample QLIKE {fitted.recent_qlike:.4g}" in version.description
        recent = fitted.recent
        assert recent is not None and recent.mse_ratio_har is not None
        assert f"MSE {recent.mse:.4g} ({recent.mse_ratio_har:.3g} of HAR's)" in version.description
        assert f"95% band {recent.coverage[0.95]:.3f}" in version.description
        run = client.get_run(version.run_id)
        assert run.data.metrics["recent_qlike"] == pytest.approx(fitted.recent_qlike)
        expected = {
            "recent_mse": recent.mse,
            "recent_mse_ratio_har": recent.mse_ratio_har,
            **{f"recent_coverage_{level:g}": recent.coverage[level] for level in fitted.levels},
            **{f"recent_log_width_{level:g}": recent.log_width[level] for level in fitted.levels},
        }
        assert {k: run.data.metrics[k] for k in expected} == pytest.approx(expected, rel=1e-12)
        assert run.data.tags["forge.recent_mse_ratio_har"] == f"{recent.mse_ratio_har:.6g}"
    (log_har,) = live_fit(warehouse, families=("log_har",), combiners=()).sets  # a retraining without HAR
    run = client.get_run(client.get_model_version(name, str(register_set(config, log_har, "test"))).run_id)
    assert "recent_mse_ratio_har" not in run.data.metrics and "recent_coverage_0.5" in run.data.metrics
    assert run.data.tags["forge.recent_mse_ratio_har"] == "none: no har set fitted by this retraining"
