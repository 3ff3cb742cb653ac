"""After a gap the feature windows restart: which models forecast those days, what the check and the ensembles see."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forge_core.data.synthetic import SyntheticSource
from forge_core.date_window import DateWindow
from forge_core.forecasting.forecast_store import forecasts_quality, load_member_history, write_window
from forge_core.forecasting.panel import load_panel
from forge_core.forecasting.restarts import RESTART_ROWS, restarting, since_last_gap
from forge_core.forecasting.walk_forward import TrainingScheme, forecast_window
from forge_core.market_tables import build_market_tables
from forge_core.targets import configured_targets
from forge_core.warehouse.connection import open_warehouse

WINDOWS = [
    DateWindow(dt.date(2013, 9, 1), dt.date(2013, 10, 1)),
    DateWindow(dt.date(2013, 10, 1), dt.date(2013, 11, 1)),
]


def test_restarting_counts_rows_from_each_gap() -> None:
    returns = pd.Series([0.1] * 5 + [np.nan] + [0.1] * (RESTART_ROWS + 3))
    flags = restarting(returns)
    assert not flags[:5].any() and flags[5 : 5 + RESTART_ROWS].all() and not flags[5 + RESTART_ROWS :].any()
    assert not restarting(pd.Series([0.1, 0.2])).any()
    rows = pd.DataFrame({"log_return": returns})
    assert since_last_gap(rows).index[0] == 6 and since_last_gap(rows.iloc[:5]).equals(rows.iloc[:5])


@pytest.fixture(scope="module")
def gapped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Two symbols 2010-2014, the first without bars from June to August 2013."""
    bars = SyntheticSource(2, seed=3, start=dt.date(2010, 1, 4), include_vix=False).load(
        dt.date(2010, 1, 4), dt.date(2014, 12, 31)
    )
    symbol = bars["symbol"].iloc[0]
    bars = bars[~((bars["symbol"] == symbol) & bars["date"].between("2013-06-01", "2013-08-31"))]
    path = tmp_path_factory.mktemp("gapped") / "w.duckdb"
    with open_warehouse(path) as conn:
        build_market_tables(conn, bars.reset_index(drop=True), configured_targets())
    return path, symbol


@pytest.mark.parametrize("family", ["har", "log_har", "ewma", "garch"])
def test_a_window_after_a_gap_forecasts_what_has_inputs_and_passes_its_check(
    gapped: tuple[Path, str], family: str, tmp_path: Path
) -> None:
    path, symbol = gapped
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(path.read_bytes())
    spec = configured_targets()[0]
    with open_warehouse(copy) as conn:
        panel = load_panel(conn, spec, WINDOWS[-1].end)
        for window in WINDOWS:
            result = forecast_window(panel, spec, family, window, TrainingScheme())
            write_window(conn, result, TrainingScheme())
            assert forecasts_quality(conn, spec.name, family, window).passed, window
            forecasts = result.forecasts
            assert np.isfinite(forecasts["forecast"]).all()
            days_after_gap = len(result.restarting.get(symbol, []))
            mine = forecasts.loc[forecasts["symbol"] == symbol, "date"]
            if family in ("har", "log_har"):
                # the 22-day means are whole again on the gap's 22nd bar (2013-10-01): September has no forecast
                assert days_after_gap == (21 if window == WINDOWS[0] else 0)
                assert mine.empty if window == WINDOWS[0] else mine.min() == pd.Timestamp("2013-10-01")
            else:  # recursions on returns and proxies forecast every day (a missing return is no news)
                assert days_after_gap == 0 and len(mine) == 21 + 2 * (window == WINDOWS[1])
        history = load_member_history(conn, spec.name, WINDOWS[-1].end)
    # ensembles and calibrations never see a restarting day, whichever member forecast it
    mine = history[history["symbol"] == symbol]
    assert not mine["date"].between("2013-09-01", "2013-10-31").any()
    assert len(history[history["symbol"] != symbol]) == len(forecasts_of_other(history, symbol))


def forecasts_of_other(history: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """The other symbol's rows: no gap, nothing left out."""
    return history[(history["symbol"] != symbol) & history["date"].between("2013-09-01", "2013-10-31")]


def test_a_missing_forecast_away_from_a_gap_is_still_a_defect(
    gapped: tuple[Path, str], tmp_path: Path
) -> None:
    path, symbol = gapped
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(path.read_bytes())
    spec = configured_targets()[0]
    window = DateWindow(dt.date(2014, 6, 1), dt.date(2014, 7, 1))
    with open_warehouse(copy) as conn:
        result = forecast_window(load_panel(conn, spec, window.end), spec, "har", window, TrainingScheme())
        write_window(conn, result, TrainingScheme())
        conn.execute("DELETE FROM forecasts WHERE symbol = ? AND date = DATE '2014-06-10'", [symbol])
        assert forecasts_quality(conn, spec.name, "har", window).defects == {"missing_trading_days": 1}
