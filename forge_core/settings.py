"""Every ``FORGE_*`` setting, declared once (variable, accepted form, parser, default); where state lives; the code.

This is the only module that reads ``FORGE_*`` variables. A setting is read when it is used (``Setting.value``),
so a run sees its own environment; ``check_settings`` parses every one of them up front, when the definitions load
or a command starts, and raises ``SettingError``: one line per bad value, naming the variable, the value (a
password inside a URI is masked) and the accepted form, before any run exists.

Domain rules that need the domain (a target's proxy, a model variant's family) are checked where the domain
lives, through ``Setting.refuse``, so their errors read the same.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import logging
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Generic, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")
PREFIX = "FORGE_"
log = logging.getLogger(__name__)


class SettingError(ValueError):
    """One or more settings with a bad value: one line each, naming the variable, the value and the form."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """A ``FORGE_*`` variable: ``parse`` turns its stripped, non-empty text into a value or raises ValueError
    with the reason; unset or blank gives ``default``. ``secret``: the value is shown with passwords masked."""

    name: str
    form: str
    parse: Callable[[str], T]
    default: T
    secret: bool = False

    def text(self, environ: Mapping[str, str] | None = None) -> str:
        """The variable's stripped text, empty when unset."""
        return (os.environ if environ is None else environ).get(self.name, "").strip()

    def value(self, environ: Mapping[str, str] | None = None) -> T:
        """The parsed value, ``default`` when unset; SettingError naming the variable when it does not parse."""
        text = self.text(environ)
        if not text:
            return self.default
        try:
            return self.parse(text)
        except ValueError as error:
            raise self.refuse(text, str(error)) from None

    def refuse(self, text: str, reason: str = "") -> SettingError:
        """The error for ``text``: ``NAME='value': expected <form> (reason)``, on one line."""
        shown = _masked(text) if self.secret else text
        why = f" ({' '.join(reason.split())})" if reason else ""
        return SettingError(f"{self.name}={shown!r}: expected {self.form}{why}")


def _masked(text: str) -> str:
    """``text`` with every password of a URL (``user:password@``) replaced by ``***``, even in a malformed one."""
    return re.sub(r"(?<=:)[^:@/]+(?=@)", "***", text)


# --- parsers: each raises ValueError with the reason -------------------------------------------------------


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise ValueError("")  # the form lists the choices
        return text.lower()

    return parse


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError("not a whole number")
        number = int(text)
        if number < minimum:
            raise ValueError(f"below {minimum}")
        return number

    return parse


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a date") from None


def _end_date(text: str) -> dt.date | Literal["today"]:
    return "today" if text.lower() == "today" else _date(text)


def _path(text: str) -> Path:
    return Path(text).expanduser()


def _file_path(text: str) -> Path:
    path = _path(text)
    if path.is_dir():
        raise ValueError("a folder, not a file")
    return path


def _folder(text: str) -> Path:
    path = _path(text)
    if path.exists() and not path.is_dir():
        raise ValueError("exists and is not a folder")
    return path


def _uri(*schemes: str) -> Callable[[str], str]:
    """A URL whose scheme is one of ``schemes`` (a scheme ending in ``+`` accepts any driver suffix)."""

    def parse(text: str) -> str:
        scheme = urlsplit(text).scheme.lower()
        if not any(scheme == s or (s.endswith("+") and scheme.startswith(s)) for s in schemes):
            raise ValueError(f"scheme {scheme or 'missing'!r}")
        return text

    return parse


def _artifact_root(text: str) -> str:
    return (
        text if text.startswith("/") else _uri("file", "s3", "gs", "wasbs", "hdfs", "mlflow-artifacts")(text)
    )


class TargetDeclaration(NamedTuple):
    """One ``name=horizon[:proxy]`` item of FORGE_TARGETS (the proxy is checked by ``forge_core.targets``)."""

    name: str
    horizon: int
    proxy: str | None


def _targets(text: str) -> tuple[TargetDeclaration, ...]:
    declared = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, rest = item.partition("=")
        horizon, _, proxy = rest.partition(":")
        if not sep or not name.strip().isidentifier():
            raise ValueError(f"{item!r} is not name=horizon")
        if not horizon.strip().isdigit() or int(horizon) < 1:
            raise ValueError(
                f"horizon {horizon.strip()!r} of {name.strip()} is not a whole number of days >= 1"
            )
        declared.append(TargetDeclaration(name.strip(), int(horizon), proxy.strip() or None))
    names = [d.name for d in declared]
    if not declared:
        raise ValueError("no target")
    if len(set(names)) != len(names):
        raise ValueError(f"a name twice: {sorted({n for n in names if names.count(n) > 1})}")
    return tuple(declared)


def comma_list(text: str) -> tuple[str, ...]:
    """The items of a comma-separated list, as settings and model params hold them (column or model names), blanks
    dropped."""
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _names(text: str) -> tuple[str, ...]:
    names = comma_list(text)
    bad = [n for n in names if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a name")
    return names


def _calendar(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_/]+", text):
        raise ValueError("")
    return text


def _device(text: str) -> str:
    if not re.fullmatch(r"cpu|cuda(:\d+)?|mps", text):
        raise ValueError("not a torch device")
    return text


def _regime_shift(text: str) -> str:
    day, star, ratio = text.partition("*")
    _date(day.strip())
    if star:
        try:
            float(ratio)
        except ValueError:
            raise ValueError(f"ratio {ratio!r} is not a number") from None
    return text


def _k8s_name(text: str) -> str:
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", text):
        raise ValueError("not a Kubernetes name (lower-case letters, digits and '-')")
    return text


DATABASE_URL = "a SQLAlchemy URL such as sqlite:///path or postgresql+psycopg2://user:password@host:5432/db"
BROKER_URL = "a broker URL such as redis://127.0.0.1:6379/0 or pyamqp://guest@127.0.0.1:5672//"

# --- the declarations ---------------------------------------------------------------------------------------

DEFAULT_HOME = ".forge"
DEFAULT_GAP_WEEKDAYS = 10
DEFAULT_CATCHUP_DAYS = 5  # weekdays the schedule looks back for days it missed (a daemon outage)
DEFAULT_COOLDOWN_DAYS = 60  # weekdays a retrained target's challenger is on trial before another retraining

HOME = Setting("FORGE_HOME", "a folder for the platform's state", _folder, Path(DEFAULT_HOME))
ENV = Setting("FORGE_ENV", "dev or prod", _choice("dev", "prod"), "dev")
WAREHOUSE = Setting("FORGE_WAREHOUSE", "the path of a DuckDB file", _file_path, None)
READER_SNAPSHOTS = Setting("FORGE_READER_SNAPSHOTS", "on or off", _choice("on", "off"), "on")
GAP_WEEKDAYS = Setting(
    "FORGE_GAP_WEEKDAYS", "a whole number of weekdays >= 1", _whole(1), DEFAULT_GAP_WEEKDAYS
)
TARGETS: Setting[tuple[TargetDeclaration, ...]] = Setting(
    "FORGE_TARGETS",
    "name=horizon[:proxy] separated by commas, e.g. rv_1d=1,rv_5d=5:garman_klass",
    _targets,
    (),
)
MODEL_VARIANTS: Setting[tuple[str, ...]] = Setting(
    "FORGE_MODEL_VARIANTS", "model names <family>_with_<set> separated by commas", _names, ()
)
SOURCE = Setting(
    "FORGE_SOURCE", "bundled, files or synthetic", _choice("bundled", "files", "synthetic"), "bundled"
)
FILES_PATH = Setting("FORGE_FILES_PATH", "a folder of price files", _folder, None)
SYNTHETIC_SYMBOLS = Setting("FORGE_SYNTHETIC_SYMBOLS", "a whole number >= 1", _whole(1), 5)
SYNTHETIC_SEED = Setting("FORGE_SYNTHETIC_SEED", "a whole number >= 0", _whole(0), 7)
SYNTHETIC_START = Setting("FORGE_SYNTHETIC_START", "a date as YYYY-MM-DD", _date, dt.date(2000, 1, 3))
SYNTHETIC_SHIFT = Setting("FORGE_SYNTHETIC_SHIFT", "YYYY-MM-DD or YYYY-MM-DD*ratio", _regime_shift, "")
CALENDAR = Setting(
    "FORGE_CALENDAR",
    "weekdays or an exchange_calendars name such as XNYS or XLON",
    _calendar,
    "",
)
PLAUSIBILITY = Setting("FORGE_PLAUSIBILITY", "refuse or flag", _choice("refuse", "flag"), "refuse")
DEVICE = Setting("FORGE_DEVICE", "cpu, cuda, cuda:N or mps", _device, "")
PRECISION = Setting("FORGE_PRECISION", "fp32 or bf16", _choice("fp32", "bf16"), "")
MLFLOW_TRACKING_URI = Setting(
    "FORGE_MLFLOW_TRACKING_URI",
    f"{DATABASE_URL}, or an http(s) tracking server",
    _uri("sqlite", "postgresql+", "postgresql", "mysql+", "http", "https", "file", "databricks"),
    "",
    secret=True,
)
MLFLOW_REGISTRY_URI = Setting(
    "FORGE_MLFLOW_REGISTRY_URI",
    f"{DATABASE_URL}, or an http(s) tracking server",
    _uri("sqlite", "postgresql+", "postgresql", "mysql+", "http", "https", "databricks"),
    "",
    secret=True,
)
MLFLOW_ARTIFACT_ROOT = Setting(
    "FORGE_MLFLOW_ARTIFACT_ROOT",
    "an artifact URI (file:///path, s3://bucket/path, gs://..., wasbs://...) or an absolute path",
    _artifact_root,
    "",
    secret=True,
)
MLFLOW_UI = Setting(
    "FORGE_MLFLOW_UI",
    "the http(s) address of the MLflow UI that serves the tracking store",
    _uri("http", "https"),
    "http://127.0.0.1:5000",
)
OPTUNA_STORAGE = Setting(
    "FORGE_OPTUNA_STORAGE",
    DATABASE_URL,
    _uri("sqlite", "postgresql+", "postgresql", "mysql+"),
    "",
    secret=True,
)
EXECUTOR = Setting(
    "FORGE_EXECUTOR",
    "in_process, multiprocess, celery or k8s",
    _choice("in_process", "multiprocess", "celery", "k8s"),
    "in_process",
)
CELERY_BROKER = Setting(
    "FORGE_CELERY_BROKER",
    BROKER_URL,
    _uri("redis", "rediss", "pyamqp", "amqp", "amqps", "sqs"),
    "",
    secret=True,
)
CELERY_BACKEND = Setting(
    "FORGE_CELERY_BACKEND",
    "a result backend URL (redis://..., rpc://)",
    _uri("redis", "rediss", "rpc", "db+"),
    "",
    secret=True,
)
K8S_NAMESPACE = Setting("FORGE_K8S_NAMESPACE", "a Kubernetes namespace", _k8s_name, "dagster")
K8S_ENV_SECRET = Setting("FORGE_K8S_ENV_SECRET", "a Kubernetes secret's name", _k8s_name, "forge-secrets")
START_DATE = Setting("FORGE_START_DATE", "a date as YYYY-MM-DD", _date, None)
END_DATE = Setting("FORGE_END_DATE", "a date as YYYY-MM-DD, or today", _end_date, None)
WALK_FORWARD_START = Setting("FORGE_WALK_FORWARD_START", "a date as YYYY-MM-DD", _date, None)
LIVE_START_DATE = Setting("FORGE_LIVE_START_DATE", "a date as YYYY-MM-DD", _date, None)
CATCHUP_DAYS = Setting(
    "FORGE_CATCHUP_DAYS", "a whole number of weekdays >= 0", _whole(0), DEFAULT_CATCHUP_DAYS
)
RETRAIN_COOLDOWN_DAYS = Setting(
    "FORGE_RETRAIN_COOLDOWN_DAYS", "a whole number of weekdays >= 0", _whole(0), DEFAULT_COOLDOWN_DAYS
)

SETTINGS: tuple[Setting[Any], ...] = (
    HOME, ENV, WAREHOUSE, READER_SNAPSHOTS, GAP_WEEKDAYS, TARGETS, MODEL_VARIANTS, SOURCE, FILES_PATH,
    SYNTHETIC_SYMBOLS, SYNTHETIC_SEED, SYNTHETIC_START, SYNTHETIC_SHIFT, CALENDAR, PLAUSIBILITY, DEVICE, PRECISION,
    MLFLOW_TRACKING_URI, MLFLOW_REGISTRY_URI, MLFLOW_ARTIFACT_ROOT, OPTUNA_STORAGE, EXECUTOR, CELERY_BROKER,
    CELERY_BACKEND, K8S_NAMESPACE, K8S_ENV_SECRET, START_DATE, END_DATE, WALK_FORWARD_START, LIVE_START_DATE,
    CATCHUP_DAYS, RETRAIN_COOLDOWN_DAYS,
)  # fmt: skip


def check_settings(environ: Mapping[str, str] | None = None) -> None:
    """Parse every setting and check those that depend on each other; SettingError with one line per problem.

    A ``FORGE_*`` variable that is not a setting (a typo) is logged as a warning naming the nearest setting."""
    environ = os.environ if environ is None else environ
    problems = []
    for setting in SETTINGS:
        try:
            setting.value(environ)
        except SettingError as error:
            problems.append(str(error))
    if not problems:
        problems += _span_problems(environ)
        if SOURCE.value(environ) == "files" and FILES_PATH.value(environ) is None:
            problems.append(f"{FILES_PATH.name} is unset: FORGE_SOURCE=files needs a folder of price files")
    known = {s.name for s in SETTINGS}
    for name in sorted(n for n in environ if n.startswith(PREFIX) and n not in known):
        near = difflib.get_close_matches(name, known, n=1)
        log.warning(
            f"{name} is not a VolatilityForge setting" + (f"; did you mean {near[0]}?" if near else "")
        )
    if problems:
        raise SettingError("\n".join(problems))


def _span_problems(environ: Mapping[str, str]) -> list[str]:
    """The configured dates out of order: start after end, a walk-forward or live start outside the span."""
    start, end = START_DATE.value(environ), END_DATE.value(environ)
    last = dt.date.today() if end == "today" else end
    problems = []
    if start is not None and last is not None and start > last:
        problems.append(
            f"{START_DATE.name}={start} is after {END_DATE.name}={END_DATE.text(environ)}: the date window is empty"
        )
    for later in (WALK_FORWARD_START, LIVE_START_DATE):
        day = later.value(environ)
        if day is not None and start is not None and day < start:
            problems.append(f"{later.name}={day} is before {START_DATE.name}={start}")
        if day is not None and last is not None and day > last:
            problems.append(f"{later.name}={day} is after {END_DATE.name}={END_DATE.text(environ)}")
    return problems


# --- where the platform keeps its local state ----------------------------------------------------------------


def forge_home() -> Path:
    """The state folder (``FORGE_HOME``, default ``.forge/``), resolved to an absolute path."""
    return HOME.value().resolve()


def warehouse_path() -> Path:
    """The DuckDB warehouse file under the state folder."""
    return forge_home() / "warehouse.duckdb"


def reports_dir() -> Path:
    """Reports (tables, figures) under the state folder."""
    return forge_home() / "reports"


def reader_snapshots() -> bool:
    """Whether writers publish the readers' snapshot (``forge_core.warehouse.reader_snapshots``): on unless
    ``FORGE_READER_SNAPSHOTS=off`` (a deployment where nothing reads the warehouse outside the runs)."""
    return READER_SNAPSHOTS.value() == "on"


def gap_weekdays() -> int:
    """``FORGE_GAP_WEEKDAYS`` (default 10): a symbol's bar more than this many weekdays after its previous one
    follows a gap; its return is not one day's move, so features leave it NULL and restart their windows."""
    return GAP_WEEKDAYS.value()


PACKAGE = "volatilityforge"


@functools.cache
def code_version() -> str:
    """``git rev-parse HEAD`` of the checkout this package runs from, else ``volatilityforge==<version>``; asked
    once per process (every window write and tracked fit records it)."""
    root = Path(__file__).resolve().parents[1]
    try:
        git = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git executable, or it hung
        git = None
    lines = git.stdout.split() if git is not None and git.returncode == 0 else []
    if len(lines) == 2 and Path(lines[0]).resolve() == root:
        return lines[1]
    try:
        return f"{PACKAGE}=={metadata.version(PACKAGE)}"
    except metadata.PackageNotFoundError:
        return "unknown"
