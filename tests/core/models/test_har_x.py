"""Optional feature sets: HAR-X (log-HAR with exogenous log regressors) and the nets' extra input columns read the
panel's option features, keep them with the model, beat the plain model where the feature is informative (the
synthetic market's implied variance), and name a column that is not there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.evaluation.losses import qlike
from forge_core.forecasting.panel import load_panel
from forge_core.market_tables import build_market_tables
from forge_core.models import ForecastTask, create_model, load_model
from forge_core.options.option_features import build_option_features
from forge_core.options.priced_quotes import write_option_quotes
from forge_core.options.synthetic_chains import option_chains
from forge_core.targets import TargetSpec
from forge_core.warehouse.sql_files import table_ddl

SPEC = TargetSpec("rv_5d", 5)
SPLIT = pd.Timestamp("2017-01-01")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    source = SyntheticSource(1, seed=17, start=dt.date(2012, 1, 2), today=dt.date(2017, 12, 29))
    conn = duckdb.connect()
    for ddl in table_ddl():
        conn.execute(ddl)
    build_market_tables(conn, source.load(dt.date(2012, 1, 2), dt.date(2017, 12, 29)), (SPEC,))
    window = DateWindow(dt.date(2013, 1, 1), dt.date(2018, 1, 1))
    write_option_quotes(conn, option_chains(source, window.start, window.last_day), window)
    build_option_features(conn, window)
    frame = load_panel(conn, SPEC, dt.date(2018, 1, 1))
    return frame[frame["date"] >= "2013-01-01"].reset_index(drop=True)


def fit(panel: pd.DataFrame, family: str, **params: object):  # type: ignore[no-untyped-def]
    train = panel[panel["realised_on"] < SPLIT]
    model = create_model(family, ForecastTask(SPEC.horizon, SPEC.proxy), **params)
    model.fit(train, train["target_value"])
    return model


def test_har_x_uses_the_implied_variance_and_keeps_it(panel: pd.DataFrame, tmp_path: Path) -> None:
    plain, with_iv = fit(panel, "log_har"), fit(panel, "log_har", exog="atm_var_30d")
    assert with_iv.feature_columns()[-1] == "atm_var_30d" and len(with_iv.state.beta_x) == 1
    test = panel[panel["date"] >= SPLIT].dropna(subset=["target_value"])
    y = test["target_value"].to_numpy()
    assert qlike(y, with_iv.predict(test)).mean() < qlike(y, plain.predict(test)).mean()
    with_iv.save(tmp_path / "model.json")
    again = load_model(tmp_path / "model.json")
    np.testing.assert_array_equal(again.predict(test), with_iv.predict(test))
    with pytest.raises(ValueError, match=r"exog columns \['skew_90d'\] are not in the features"):
        fit(panel, "log_har", exog="skew_90d")


def test_a_net_takes_extra_columns_by_configuration(panel: pd.DataFrame) -> None:
    net = fit(panel, "mlp", epochs=2, hidden=8, extra_columns="atm_var_30d, rr25")
    assert net.feature_columns()[-2:] == ["atm_var_30d", "rr25"]
    assert net.params()["extra_columns"] == "atm_var_30d, rr25"
    with pytest.raises(ValueError, match=r"extra input columns \['skew_90d'\]"):
        fit(panel, "mlp", epochs=1, extra_columns="skew_90d")


def test_a_variant_name_gives_its_family_the_feature_sets_params(panel: pd.DataFrame) -> None:
    har_x = fit(panel, "har_with_options")
    assert har_x.family == "har" and har_x.hyper.exog == "atm_var_30d" and len(har_x.state.beta_x) == 1
    test = panel[panel["date"] >= SPLIT].dropna(subset=["target_value"])
    y = test["target_value"].to_numpy()
    assert qlike(y, har_x.predict(test)).mean() < qlike(y, fit(panel, "har").predict(test)).mean()
    net = fit(panel, "mlp_with_options", epochs=1, hidden=8)
    assert net.feature_columns()[-5:] == ["atm_var_30d", "term_slope", "rr25", "bf25", "vrp"]
    without = fit(panel, "mlp_without_vix", epochs=1, hidden=8)
    assert without.hyper.without_columns == "vix_level,vix_change"
    assert not {"vix_level", "vix_change"} & set(without.feature_columns() or [])


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("garch_with_options", "garch takes no optional feature sets"),
        (
            "log_har_with_quotes",
            r"takes only positive variance-scaled columns \(HAR-X\); \['quotes'\] have none",
        ),
        ("har_without_vix", r"takes no feature set by default: there is no \['vix'\] to take away"),
        ("mlp_with_vix", r"mlp reads \['vix_level', 'vix_change'\] by default"),
        ("mlp_without_options", "there is nothing to take away"),
        ("mlp_with_skew", "unknown feature set 'skew'"),
        ("mlp_with_", "expected <family>_with_<set>"),
        ("prophet_with_vix", "unknown model family 'prophet'"),
    ],
)
def test_a_variant_a_family_cannot_be_is_refused_by_name(name: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        create_model(name, ForecastTask(SPEC.horizon, SPEC.proxy))
