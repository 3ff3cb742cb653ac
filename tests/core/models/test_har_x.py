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
from forge_core.models import ForecastTask, create_model, load_model
from forge_core.options.option_features import build_option_features
from forge_core.options.priced_quotes import write_option_quotes
from forge_core.options.synthetic_chains import option_chains
from forge_core.pipeline import build_market_tables
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
