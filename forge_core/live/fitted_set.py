"""``FittedSet``: what the live registry versions and the daily forecasts publish from.

A fitted set is one member (a model family, or an ensemble of families) of one target, fitted for every symbol on
the rows realised by the close of ``as_of``, with the interval calibration of its out-of-sample forecasts at that
day. It is saved as a folder (``fitted_set.json`` plus, for a family, one model file per symbol; for an ensemble,
its members' sets in ``members/``) and loaded as one unit; a file missing, not valid JSON or of the wrong format
is named (``SetFileError``).

A day's interval of a symbol scales its model's raw forecast :math:`f_t` by the calibrated log-score bounds,
:math:`[f_t e^{\\ell_p}, f_t e^{u_p}]` at level p, and the published point is :math:`f_t e^{\\mu}`, the
forecast corrected for the bias its scores support (``forge_core.intervals.log_scores``), where
:math:`\\ell_p, u_p, \\mu` come from the symbol's own scores :math:`\\log(y_i/f_i)` realised by ``as_of``
(frozen until the next retraining; a drift in coverage is what the daily scores and their check watch for). So the
bands nest, the point lies inside its 50% band unless the row is flagged ``skewed``, and ``raw_forecast`` keeps
:math:`f_t`. An ensemble's raw forecast of a day is the weighted combination of its members' raw forecasts of that
day with the weights learnt by ``as_of``, in levels or in logs as its combiner does; its quantiles combine the
members' log quantiles.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import numpy as np
import pandas as pd

from forge_core.ensembles.combination import combine_levels
from forge_core.ensembles.ensemble_windows import ENSEMBLE_PREFIX
from forge_core.evaluation.run_scores import BENCHMARK, level_metric
from forge_core.intervals import band_rules
from forge_core.models import load_model
from forge_core.models.base import Runtime, VolatilityModel
from forge_core.models.forecast import Forecast
from forge_core.quantiles import QUANTILE_COLUMNS, QUANTILE_LEVELS, bound_column

SET_FILE = "fitted_set.json"
MODELS_DIR = "models"
MEMBERS_DIR = "members"
MODEL_FILE = "model.json"
FORMAT_VERSION = 3
# Format 1 sets kept no point correction: they publish their raw forecast as the point. Formats 1 and 2 kept no
# recent scores but the QLIKE: their ``recent`` is None.
READABLE_FORMATS = (1, 2, FORMAT_VERSION)
_T = TypeVar("_T")
# What reading a file of the wrong format raises (a net's weights that torch cannot read: ValueError).
_MALFORMED = (OSError, KeyError, TypeError, ValueError, RuntimeError, EOFError)


@dataclass(frozen=True)
class SymbolState:
    """One symbol of a set: how much it was trained on, its log-score bounds per level (lower, upper), the log
    correction of its point and, for an ensemble, its member weights."""

    train_rows: int
    trained_through: dt.date
    log_lower: tuple[float, ...]
    log_upper: tuple[float, ...]
    log_point: float
    weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RecentScores:
    """A set's scores over its recent scored out-of-sample days (the symbol-days ``recent_qlike`` averages over),
    from its calibration's own series: each day's published point :math:`p_i` and band :math:`[\\ell_i, u_i]` were
    made from scores realised by that day's close.

    Parameters
    ----------
    days : int
        How many scored days (dates) they cover.
    mse : float
        :math:`\\frac1n \\sum_i (y_i - p_i)^2` over the :math:`n` scored symbol-days.
    mse_ratio_har : float or None
        The MSE over the HAR set's on the same symbol-days (``evaluation.run_scores.mse_ratio``); None without one,
        ``no_ratio`` saying why.
    coverage, log_width : dict
        Per band level, the share of realised values inside the day's band and its mean :math:`\\log(u_i/\\ell_i)`
        (``evaluation.run_scores.band_scores``), over the scored symbol-days with a band.
    no_ratio : str
        Why there is no ``mse_ratio_har`` (empty when there is one).
    """

    days: int
    mse: float
    mse_ratio_har: float | None
    coverage: dict[float, float]
    log_width: dict[float, float]
    no_ratio: str = ""

    def metrics(self) -> dict[str, float]:
        """As MLflow metrics: ``recent_mse``, ``recent_mse_ratio_har`` (when there is one) and per level
        ``recent_coverage_<level>`` and ``recent_log_width_<level>``."""
        ratio = {} if self.mse_ratio_har is None else {f"recent_mse_ratio_{BENCHMARK}": self.mse_ratio_har}
        return {
            "recent_mse": self.mse,
            **ratio,
            **{level_metric("recent_coverage", level): share for level, share in self.coverage.items()},
            **{level_metric("recent_log_width", level): width for level, width in self.log_width.items()},
        }

    def describe(self) -> str:
        """One phrase: the MSE, its ratio to HAR's (or why there is none) and each band's realised coverage."""
        ratio = f"{self.mse_ratio_har:.3g} of HAR's" if self.mse_ratio_har is not None else self.no_ratio
        covered = ", ".join(f"{100 * level:g}% band {share:.3f}" for level, share in self.coverage.items())
        return f"MSE {self.mse:.4g} ({ratio}), realised coverage {covered or 'none'} over {self.days} days"

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            name: {f"{level:g}": value for level, value in getattr(self, name).items()}
            for name in ("coverage", "log_width")
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> RecentScores:
        ratio = doc["mse_ratio_har"]
        return cls(
            int(doc["days"]),
            float(doc["mse"]),
            None if ratio is None else float(ratio),
            {float(level): float(v) for level, v in doc["coverage"].items()},
            {float(level): float(v) for level, v in doc["log_width"].items()},
            str(doc.get("no_ratio", "")),
        )


@dataclass(frozen=True, eq=False)
class FittedSet:
    """A member of a target fitted for every symbol, with its interval calibration (see the module).

    Parameters
    ----------
    target, horizon, proxy : str, int, str
        The target's definition.
    member : str
        A family name, or ``ensemble_<combiner>``.
    as_of : datetime.date
        The day by whose close every training row and calibration score had realised.
    levels : tuple of float
        Central interval levels, increasing.
    method : str
        The conformal method of the calibration.
    recent_qlike : float
        Mean QLIKE of the member's out-of-sample forecasts over its last scored days before ``as_of``.
    symbols : dict
        Symbol -> ``SymbolState``.
    models : dict
        Symbol -> fitted model (a family's set; empty for an ensemble).
    member_sets : dict
        Member name -> the family set an ensemble combines (empty for a family).
    space : {"level", "log"}
        Where an ensemble combines.
    recent : RecentScores or None
        Its other scores over the same recent days (None: a set saved before they were kept).
    """

    target: str
    horizon: int
    proxy: str
    member: str
    as_of: dt.date
    levels: tuple[float, ...]
    method: str
    recent_qlike: float
    symbols: dict[str, SymbolState]
    models: dict[str, VolatilityModel] = field(default_factory=dict)
    member_sets: dict[str, FittedSet] = field(default_factory=dict)
    space: Literal["level", "log"] = "level"
    recent: RecentScores | None = None

    def __post_init__(self) -> None:
        if self.is_ensemble == bool(self.models) or self.is_ensemble != bool(self.member_sets):
            raise ValueError(f"{self.member}: a family's set holds models, an ensemble's its members")
        if not self.is_ensemble and set(self.models) != set(self.symbols):
            raise ValueError(
                f"{self.member}: models of {sorted(self.models)} for symbols {sorted(self.symbols)}"
            )

    @property
    def is_ensemble(self) -> bool:
        return self.member.startswith(ENSEMBLE_PREFIX)

    @property
    def members(self) -> tuple[str, ...]:
        """The families an ensemble combines, in order (empty for a family)."""
        return tuple(self.member_sets)

    def rows_needed(self) -> int | None:
        """How many feature rows up to a day its forecast of that day reads: the most any of its models needs
        (None: the whole history)."""
        needs = [m.rows_needed() for m in self.models.values()]
        needs += [member.rows_needed() for member in self.member_sets.values()]
        known = [n for n in needs if n is not None]
        return max(known, default=1) if len(known) == len(needs) else None

    def forecast(self, histories: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
        """The forecast made at the last row of each symbol's history (feature rows up to the day, oldest first),
        with quantiles and calibrated bounds: columns ``symbol, date, forecast`` (the published point),
        ``raw_forecast, skewed, q.., lower_.., upper_..``.
        KeyError naming the symbols this set was not fitted for."""
        self._require(histories)
        if not self.is_ensemble:
            return self._with_bounds(self._last_rows(histories).to_frame())
        members = [self.member_sets[m].forecast(histories) for m in self.members]
        out = members[0][["symbol", "date"]].copy()
        weights = np.array(
            [[self.symbols[str(s)].weights.get(m, 0.0) for m in self.members] for s in out["symbol"]]
        )
        f = np.column_stack([m["raw_forecast"].to_numpy(dtype=float) for m in members])
        out["forecast"] = combine_levels(weights, f, self.space)
        for column in QUANTILE_COLUMNS:
            out[column] = combine_levels(
                weights, np.column_stack([m[column].to_numpy(dtype=float) for m in members])
            )
        return self._with_bounds(out)

    def _last_rows(self, histories: Mapping[str, pd.DataFrame]) -> Forecast:
        """Each symbol's model's forecast of the last row of its history, reading only the rows the model needs,
        assembled into one result (a market of symbols costs one frame, not one per symbol)."""
        points, values, last = [], [], []
        for symbol, history in histories.items():
            model = self.models[symbol]
            needed = model.rows_needed()
            rows = history if needed is None else history.tail(needed)
            point, quantiles = model.forecast_values(rows)
            points.append(point[-1])
            values.append(quantiles[-1])
            last.append(rows["date"].iloc[-1])
        keys = pd.DataFrame({"symbol": list(histories), "date": pd.to_datetime(last)})
        return Forecast.for_rows(
            keys, np.array(points), QUANTILE_LEVELS, np.array(values).reshape(len(keys), len(QUANTILE_LEVELS))
        )

    def _require(self, histories: Mapping[str, Any]) -> None:
        unknown = sorted(set(histories) - set(self.symbols))
        if unknown:
            raise KeyError(
                f"{self.member} ({self.target}, fitted {self.as_of}) has no model for {unknown}: a symbol without "
                "history at the last retraining gets forecasts after the next one"
            )

    def _with_bounds(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with its raw ``forecast`` moved to ``raw_forecast``, the published point in ``forecast``, the
        bounds, and ``skewed`` where the point lies outside the innermost band."""
        states = [self.symbols[str(s)] for s in frame["symbol"]]
        f = frame["forecast"].to_numpy(dtype=float)
        frame["raw_forecast"] = f
        frame["forecast"] = point = f * np.exp([s.log_point for s in states])
        for i, level in enumerate(self.levels):
            frame[bound_column("lower", level)] = f * np.exp([s.log_lower[i] for s in states])
            frame[bound_column("upper", level)] = f * np.exp([s.log_upper[i] for s in states])
        inner = self.levels[0]
        frame["skewed"] = band_rules.skewed(
            point, frame[bound_column("lower", inner)], frame[bound_column("upper", inner)]
        )
        return frame

    def save(self, folder: Path) -> None:
        """Write the set into ``folder`` (created): ``fitted_set.json`` and ``models/<symbol>/model.json``."""
        folder.mkdir(parents=True, exist_ok=True)
        doc = {
            "format_version": FORMAT_VERSION,
            **{k: getattr(self, k) for k in ("target", "horizon", "proxy", "member", "method", "space")},
            "as_of": self.as_of.isoformat(),
            "levels": list(self.levels),
            "recent_qlike": self.recent_qlike,
            "recent": self.recent.to_json() if self.recent is not None else None,
            "symbols": {
                s: asdict(state) | {"trained_through": state.trained_through.isoformat()}
                for s, state in self.symbols.items()
            },
        }
        (folder / SET_FILE).write_text(json.dumps(doc, indent=1, allow_nan=False))
        for symbol, model in self.models.items():
            path = folder / MODELS_DIR / _safe(symbol) / MODEL_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            model.save(path)
        for name, member in self.member_sets.items():
            member.save(folder / MEMBERS_DIR / name)

    @classmethod
    def load(cls, folder: Path, runtime: Runtime | None = None) -> FittedSet:
        """The set ``save`` wrote into ``folder``. ``SetFileError`` naming the first of its files that is missing,
        not valid JSON or of the wrong format (an unknown format version included)."""
        fields = _read(folder / SET_FILE, _set_fields)
        symbols: dict[str, SymbolState] = fields["symbols"]
        member_sets, models = {}, {}
        if str(fields["member"]).startswith(ENSEMBLE_PREFIX):
            found = _read(folder / MEMBERS_DIR, lambda path: sorted(path.iterdir()))
            member_sets = {path.name: cls.load(path, runtime) for path in found}
            weighed = sorted({m for state in symbols.values() for m in state.weights} - set(member_sets))
            if weighed:
                raise SetFileError(folder / MEMBERS_DIR / weighed[0], "missing (the ensemble weighs it)")
        else:
            models = {
                s: _read(folder / MODELS_DIR / _safe(s) / MODEL_FILE, lambda path: load_model(path, runtime))
                for s in symbols
            }
        return cls(**fields, models=models, member_sets=member_sets)


class SetFileError(ValueError):
    """A file of a saved set that cannot be read: its ``path`` and ``problem`` ("missing", "not valid JSON at line
    3 column 17 (...)", "of the wrong format (...)")."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


def _read(path: Path, read: Callable[[Path], _T]) -> _T:
    """``read(path)``, any failure to read or parse the file (or a file beside it that ``read`` opens, such as a
    net's weights) raised as a ``SetFileError`` naming it."""
    try:
        return read(path)
    except SetFileError:
        raise
    except FileNotFoundError as error:
        raise SetFileError(Path(error.filename or path), "missing") from error
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise SetFileError(path, f"not valid JSON at {where} ({error.msg})") from error
    except _MALFORMED as error:
        raise SetFileError(path, f"of the wrong format ({type(error).__name__}: {error})") from error


def _set_fields(path: Path) -> dict[str, Any]:
    """The fields of the set ``fitted_set.json`` at ``path`` describes (all but its models and member sets)."""
    doc = json.loads(path.read_text())
    if doc.get("format_version") not in READABLE_FORMATS:
        raise ValueError(f"format {doc.get('format_version')}, expected one of {READABLE_FORMATS}")
    return {
        "target": doc["target"],
        "horizon": int(doc["horizon"]),
        "proxy": doc["proxy"],
        "member": doc["member"],
        "as_of": dt.date.fromisoformat(doc["as_of"]),
        "levels": tuple(doc["levels"]),
        "method": doc["method"],
        "recent_qlike": float(doc["recent_qlike"]),
        "recent": RecentScores.from_json(doc["recent"]) if doc.get("recent") is not None else None,
        "space": doc["space"],
        "symbols": {
            s: SymbolState(
                int(v["train_rows"]),
                dt.date.fromisoformat(v["trained_through"]),
                tuple(v["log_lower"]),
                tuple(v["log_upper"]),
                float(v.get("log_point", 0.0)),
                dict(v["weights"]),
            )
            for s, v in doc["symbols"].items()
        },
    }


def _safe(symbol: str) -> str:
    """A folder name for a symbol, one per symbol (``^GSPC`` stays; a path separator is percent-encoded)."""
    return quote(symbol, safe="^.-_=")
