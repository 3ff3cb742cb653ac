"""Security basics: a hostile symbol is stored and read back as text and breaks nothing (every symbol and date is a
bound parameter); model files are JSON and tensors only, and a weights file carrying a pickled object is refused
before it runs; no module unpickles; the UI binds to 127.0.0.1."""

from __future__ import annotations

import ast
import datetime as dt
import pickle
from pathlib import Path

import pytest
import torch

from forge_core.data.files import FileSource
from forge_core.data.synthetic import SyntheticSource
from forge_core.forecasting.panel import load_panel
from forge_core.market_tables import build_market_tables
from forge_core.models import ForecastTask, create_model, load_model
from forge_core.targets import DEFAULT_TARGETS
from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.reader_snapshots import open_reader
from forge_jobs import ui

REPO = Path(__file__).parents[2]
PACKAGES = ("forge_core", "forge_assets", "forge_jobs", "forge_resources")
HOSTILE = "X'); DROP TABLE raw_prices; --"


def test_a_hostile_symbol_is_stored_as_text_and_breaks_nothing(tmp_path: Path) -> None:
    bars = SyntheticSource(1, seed=3, start=dt.date(2016, 1, 4)).load(
        dt.date(2016, 1, 4), dt.date(2017, 12, 29)
    )
    bars = bars[bars["symbol"] != "^VIX"].assign(symbol=HOSTILE)
    folder = tmp_path / "files"
    folder.mkdir()
    bars.assign(date=bars["date"].dt.strftime("%Y-%m-%d")).to_csv(folder / "bars.csv", index=False)
    loaded = FileSource(folder).load(dt.date(2016, 1, 1), dt.date(2017, 12, 31))
    live = tmp_path / "w.duckdb"
    with open_warehouse(live) as conn:
        build_market_tables(conn, loaded, DEFAULT_TARGETS)
        panel = load_panel(conn, DEFAULT_TARGETS[0], dt.date(2018, 1, 1), symbols=[HOSTILE])
        (features,) = conn.execute(
            "SELECT count(*) FROM daily_features WHERE symbol = ?", [HOSTILE]
        ).fetchall()
    assert len(panel) == features[0] >= len(bars) - 1 and set(panel["symbol"]) == {HOSTILE}
    with open_reader(live) as conn:
        tables = {
            name for (name,) in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        stored = conn.execute("SELECT DISTINCT symbol FROM raw_prices").fetchall()
    assert {"raw_prices", "daily_features", "targets"} <= tables and stored == [(HOSTILE,)]


class Payload:
    """What a hostile weights file would carry: unpickling it runs ``touch``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_weights_file_carrying_a_pickled_object_is_refused(tmp_path: Path) -> None:
    source = SyntheticSource(1, seed=4, start=dt.date(2015, 1, 5))
    with open_warehouse(tmp_path / "w.duckdb") as conn:
        build_market_tables(
            conn, source.load(dt.date(2015, 1, 5), dt.date(2017, 12, 29)), DEFAULT_TARGETS[:1]
        )
        panel = load_panel(conn, DEFAULT_TARGETS[0], dt.date(2018, 1, 1)).dropna(subset=["target_value"])
    net = create_model("mlp", ForecastTask(1, "parkinson"), epochs=1, hidden=4)
    net.fit(panel, panel["target_value"])
    net.save(tmp_path / "net.json")
    assert load_model(tmp_path / "net.json").predict(panel).shape == (len(panel),)
    marker = tmp_path / "ran"
    torch.save({"weight": Payload(marker)}, tmp_path / "net.pt")  # a hostile file in the weights' place
    with pytest.raises(
        ValueError, match=r"net\.pt is not a file of tensors .*Weights only load failed"
    ) as refused:
        load_model(tmp_path / "net.json")
    assert isinstance(refused.value.__cause__, pickle.UnpicklingError)
    assert not marker.exists()


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_no_module_unpickles_and_every_torch_load_is_weights_only() -> None:
    unpicklers = {"pickle", "cloudpickle", "dill", "joblib", "shelve"}
    for path in (p for package in PACKAGES for p in (REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not {n.split(".")[0] for n in names} & unpicklers, f"{path} imports {names}"
        for call in _calls(tree):
            if ast.unparse(call.func) == "torch.load":
                keywords = {k.arg: ast.unparse(k.value) for k in call.keywords}
                assert keywords.get("weights_only") == "True", (
                    f"{path}:{call.lineno} torch.load without weights_only"
                )


def test_the_ui_binds_to_localhost_by_default() -> None:
    commands = [line for line in (REPO / "Makefile").read_text().splitlines() if "forge_jobs.ui" in line]
    assert commands and not any("--host" in line for line in commands)  # make ui keeps the default
    assert ui.DEFAULT_HOST == "127.0.0.1"
    assert ui._commands(ui.DEFAULT_HOST, 3000)["webserver"][-4:] == ["-h", "127.0.0.1", "-p", "3000"]
