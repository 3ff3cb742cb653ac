"""Every FORGE_* setting is parsed up front: a bad value gives one line naming the variable, the value (passwords
masked) and the accepted form; the commands stop on it before anything runs, without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from forge_core import settings
from forge_core.settings import SETTINGS, SettingError, check_settings

REPO = Path(__file__).parents[2]

# every variable the README names, with a value it must refuse, and a piece of the line that says why
BAD_VALUES = {
    "FORGE_HOME": ("README.md", "a folder"),
    "FORGE_ENV": ("staging", "dev or prod"),
    "FORGE_WAREHOUSE": (".", "a folder, not a file"),
    "FORGE_READER_SNAPSHOTS": ("maybe", "on or off"),
    "FORGE_GAP_WEEKDAYS": ("0", "below 1"),
    "FORGE_TARGETS": ("rv_1d=abc", "horizon 'abc' of rv_1d is not a whole number of days"),
    "FORGE_MODEL_VARIANTS": ("log har", "'log har' is not a name"),
    "FORGE_SOURCE": ("nonsense", "bundled, files or synthetic"),
    "FORGE_FILES_PATH": ("README.md", "exists and is not a folder"),
    "FORGE_SYNTHETIC_SYMBOLS": ("five", "not a whole number"),
    "FORGE_SYNTHETIC_SEED": ("-1", "below 0"),
    "FORGE_SYNTHETIC_START": ("2000-13-01", "not a date"),
    "FORGE_SYNTHETIC_SHIFT": ("2010-01-01*double", "ratio 'double' is not a number"),
    "FORGE_CALENDAR": ("XNYS,XLON", "weekdays or an exchange_calendars name"),
    "FORGE_PLAUSIBILITY": ("maybe", "refuse or flag"),
    "FORGE_DEVICE": ("gpu", "cpu, cuda, cuda:N or mps"),
    "FORGE_PRECISION": ("fp16", "fp32 or bf16"),
    "FORGE_MLFLOW_TRACKING_URI": ("postgres//forge:s3cret@db/mlflow", "scheme 'missing'"),
    "FORGE_MLFLOW_REGISTRY_URI": ("mongodb://forge:s3cret@db/x", "scheme 'mongodb'"),
    "FORGE_MLFLOW_ARTIFACT_ROOT": ("ftp://host/x", "scheme 'ftp'"),
    "FORGE_OPTUNA_STORAGE": ("redis://forge:s3cret@db/0", "scheme 'redis'"),
    "FORGE_EXECUTOR": ("dask", "multiprocess, celery or k8s"),
    "FORGE_CELERY_BROKER": ("kafka://h:9092", "scheme 'kafka'"),
    "FORGE_CELERY_BACKEND": ("memcached://h", "scheme 'memcached'"),
    "FORGE_K8S_NAMESPACE": ("Prod_NS", "not a Kubernetes name"),
    "FORGE_K8S_ENV_SECRET": ("my secret", "not a Kubernetes name"),
    "FORGE_START_DATE": ("1999/01/04", "a date as YYYY-MM-DD"),
    "FORGE_END_DATE": ("yesterday", "a date as YYYY-MM-DD, or today"),
    "FORGE_WALK_FORWARD_START": ("2010-02-30", "not a date"),
    "FORGE_LIVE_START_DATE": ("soon", "not a date"),
    "FORGE_CATCHUP_DAYS": ("a week", "not a whole number"),
    "FORGE_RETRAIN_COOLDOWN_DAYS": ("-3", "below 0"),
}


def _environ(**values: str) -> dict[str, str]:
    """A clean environment: no FORGE_* but ``values``, run from the repository (relative paths resolve there)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("FORGE_")}, **values}


def test_every_setting_has_a_bad_value_case() -> None:
    assert {s.name for s in SETTINGS} == set(BAD_VALUES)


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_a_bad_value_gives_one_line_naming_variable_value_and_form(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    value, why = BAD_VALUES[name]
    with pytest.raises(SettingError) as raised:
        check_settings(_environ(**{name: value}))
    line = str(raised.value)
    assert "\n" not in line and line.startswith(f"{name}=") and why in line
    setting = next(s for s in SETTINGS if s.name == name)
    assert f"expected {setting.form}" in line
    assert "s3cret" not in line and (setting.secret or repr(value) in line)


def test_every_bad_value_is_listed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with pytest.raises(SettingError) as raised:
        check_settings(_environ(FORGE_SOURCE="nonsense", FORGE_PLAUSIBILITY="maybe", FORGE_TARGETS="rv=0"))
    assert [line.split("=")[0] for line in str(raised.value).splitlines()] == [
        "FORGE_TARGETS",
        "FORGE_SOURCE",
        "FORGE_PLAUSIBILITY",
    ]


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (
            {"FORGE_START_DATE": "2018-06-01", "FORGE_END_DATE": "2018-01-01"},
            "FORGE_START_DATE=2018-06-01 is after FORGE_END_DATE=2018-01-01: the date window is empty",
        ),
        (
            {"FORGE_START_DATE": "2010-01-04", "FORGE_LIVE_START_DATE": "2009-01-05"},
            "FORGE_LIVE_START_DATE=2009-01-05 is before FORGE_START_DATE=2010-01-04",
        ),
        (
            {"FORGE_END_DATE": "2012-12-31", "FORGE_WALK_FORWARD_START": "2013-01-01"},
            "FORGE_WALK_FORWARD_START=2013-01-01 is after FORGE_END_DATE=2012-12-31",
        ),
        ({"FORGE_SOURCE": "files"}, "FORGE_FILES_PATH is unset: FORGE_SOURCE=files needs a folder"),
    ],
)
def test_settings_that_depend_on_each_other(values: dict[str, str], line: str) -> None:
    with pytest.raises(SettingError, match=line):
        check_settings(_environ(**values))


def test_good_values_parse_to_their_types(monkeypatch: pytest.MonkeyPatch) -> None:
    good = {
        "FORGE_TARGETS": "rv_1d=1, gk_5d=5:garman_klass",
        "FORGE_END_DATE": "Today",
        "FORGE_SOURCE": "Synthetic",
        "FORGE_CATCHUP_DAYS": "0",
        "FORGE_MLFLOW_TRACKING_URI": "postgresql+psycopg2://forge:s3cret@db:5432/mlflow",
        "FORGE_SYNTHETIC_SHIFT": "2010-01-04*3",
    }
    check_settings(_environ(**good))
    for name, value in good.items():
        monkeypatch.setenv(name, value)
    assert settings.TARGETS.value() == (("rv_1d", 1, None), ("gk_5d", 5, "garman_klass"))
    assert settings.END_DATE.value() == "today" and settings.SOURCE.value() == "synthetic"
    assert settings.CATCHUP_DAYS.value() == 0


def test_a_misspelt_variable_is_named_with_the_nearest_setting(caplog: pytest.LogCaptureFixture) -> None:
    check_settings(_environ(FORGE_TARGET="rv_1d=1"))
    assert "FORGE_TARGET is not a VolatilityForge setting; did you mean FORGE_TARGETS?" in caplog.text


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("FORGE_TARGETS", "rv_1d=abc", "error: FORGE_TARGETS='rv_1d=abc': expected name=horizon[:proxy]"),
        ("FORGE_TARGETS", "rv_1d=1:vwap", "error: FORGE_TARGETS='rv_1d=1:vwap': expected name=horizon"),
        ("FORGE_CALENDAR", "XNAS_OLD", "error: FORGE_CALENDAR='XNAS_OLD': expected weekdays or an exchange"),
        (
            "FORGE_OPTUNA_STORAGE",
            "postgresql+psycopg2://forge:s3cret@db:5432",
            None,  # a good value: the command goes on
        ),
    ],
)
def test_commands_stop_on_a_bad_value_before_anything_runs(
    variable: str, value: str, line: str | None, tmp_path: Path
) -> None:
    """The demo stops with the one line and exit status 1; no state folder, no Dagster run is made."""
    home = tmp_path / "home"
    env = _environ(FORGE_HOME=str(home), **{variable: value})
    if line is None:
        env["FORGE_SOURCE"] = "nonsense"  # stop it on another setting, to show the password is never printed
        line = "error: FORGE_SOURCE='nonsense': expected bundled, files or synthetic"
    done = subprocess.run(
        [sys.executable, "-m", "forge_jobs.demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [line] or done.stderr.startswith(line), done.stderr
    assert (
        len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr and "s3cret" not in done.stderr
    )
    assert not home.exists()
