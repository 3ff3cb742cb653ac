"""A Markov-switching model of log variance, with filtered (causal) regime probabilities.

With :math:`x_t` the log of a variance proxy (by default its 5-day mean: the daily proxy is so noisy that regimes
fitted on it flicker from day to day) and :math:`S_t \\in \\{0..K-1\\}` a Markov chain with
:math:`P_{ij} = \\Pr(S_t = i \\mid S_{t-1} = j)`, Hamilton's (1989) switching-mean autoregression

.. math::

    x_t - \\mu_{S_t} = \\phi\\,(x_{t-1} - \\mu_{S_{t-1}}) + \\sigma_{S_t} \\varepsilon_t, \\qquad
    \\varepsilon_t \\sim N(0, 1),

is fitted by maximum likelihood (statsmodels' ``MarkovAutoregression``, order 1, switching mean and variance) on the
rows it is given, and nothing else. Regimes are numbered by their mean :math:`\\mu_i`, lowest first, so regime 0
is always the calm one and labels never switch between fits.

The probabilities it publishes are *filtered*, :math:`\\Pr(S_t = i \\mid x_1..x_t)`, from the Hamilton filter run
here on the fitted parameters over the pairs :math:`(S_t, S_{t-1})`:

.. math::

    \\pi_t(i, j) = P_{ij}\\, m_{t-1}(j), \\qquad
    \\xi_t(i, j) \\propto \\pi_t(i, j)\\, \\phi\\bigl(x_t;\\, \\mu_i + \\phi (x_{t-1} - \\mu_j),\\, \\sigma_i^2\\bigr),
    \\qquad m_t(i) = \\sum_j \\xi_t(i, j),

started from the chain's stationary distribution. Never smoothed probabilities (statsmodels'
``smoothed_marginal_probabilities``, hmmlearn's ``predict_proba``): they use the rows after :math:`t`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
MIN_ROWS_PER_REGIME = 250  # fewer rows than this times K: refused, the likelihood has too little to go on


@dataclass(frozen=True)
class RegimeParams:
    """Fitted parameters, regimes ordered by mean (regime 0 the lowest).

    means, variances : per regime, :math:`\\mu_i` and :math:`\\sigma_i^2`.
    ar : the autoregressive coefficient :math:`\\phi` of the deviations from the regime means.
    transition : :math:`P_{ij} = \\Pr(S_t = i \\mid S_{t-1} = j)`, columns summing to one.
    """

    means: tuple[float, ...]
    variances: tuple[float, ...]
    ar: float
    transition: tuple[tuple[float, ...], ...]

    @property
    def regimes(self) -> int:
        return len(self.means)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RegimeParams:
        doc = json.loads(text)
        return cls(
            tuple(doc["means"]),
            tuple(doc["variances"]),
            float(doc["ar"]),
            tuple(map(tuple, doc["transition"])),
        )

    def stationary(self) -> FloatArray:
        """The chain's stationary distribution: the eigenvector of :math:`P` for eigenvalue 1."""
        values, vectors = np.linalg.eig(np.asarray(self.transition))
        vector = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
        distribution: FloatArray = vector / vector.sum()
        return distribution


def fit_regimes(log_variance: pd.Series, regimes: int = 2, seed: int = 0) -> RegimeParams:
    """Fit the model on ``log_variance`` (one symbol, days in order, NaN rows dropped). ValueError naming the
    series when it has fewer than ``MIN_ROWS_PER_REGIME`` rows per regime or the fit does not converge."""
    from statsmodels.tsa.regime_switching.markov_autoregression import MarkovAutoregression

    x = log_variance.dropna().to_numpy(dtype=float)
    name = log_variance.name or "log variance"
    if len(x) - 1 < MIN_ROWS_PER_REGIME * regimes:
        raise ValueError(
            f"{name}: {len(x)} rows, a {regimes}-regime model needs at least {MIN_ROWS_PER_REGIME * regimes + 1}"
        )
    model = MarkovAutoregression(x, k_regimes=regimes, order=1, switching_ar=False, switching_variance=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter; convergence is checked below
        try:
            result = model.fit(disp=False, search_reps=20, rng=np.random.default_rng(seed))
        except np.linalg.LinAlgError as error:
            raise ValueError(f"{name}: the {regimes}-regime Markov-switching fit failed ({error})") from None
    if not result.mle_retvals.get("converged", False):
        raise ValueError(f"{name}: the {regimes}-regime Markov-switching fit did not converge")
    values = dict(zip(model.param_names, np.asarray(result.params, dtype=float), strict=True))
    means = np.array([values[f"const[{i}]"] for i in range(regimes)])
    variances = np.array([values[f"sigma2[{i}]"] for i in range(regimes)])
    transition = model.regime_transition_matrix(result.params)[:, :, 0]
    order = np.argsort(means)
    return RegimeParams(
        tuple(map(float, means[order])),
        tuple(map(float, variances[order])),
        float(values["ar.L1"]),
        tuple(tuple(map(float, row)) for row in transition[np.ix_(order, order)]),
    )


def filtered_probabilities(params: RegimeParams, log_variance: pd.Series) -> pd.DataFrame:
    """:math:`\\Pr(S_t = i \\mid x_1..x_t)` for every row of ``log_variance`` after its first (columns
    ``regime_0``.. by mean); a row without an observation (NaN, or after one) carries the prediction forward."""
    x = log_variance.to_numpy(dtype=float)
    p = np.asarray(params.transition)
    mu, var, phi = np.asarray(params.means), np.asarray(params.variances), params.ar
    marginal = params.stationary()
    out = np.full((len(x), params.regimes), np.nan)
    for t in range(1, len(x)):
        predicted = p * marginal[None, :]  # (S_t = i, S_{t-1} = j)
        if np.isfinite(x[t]) and np.isfinite(x[t - 1]):
            mean = mu[:, None] + phi * (x[t - 1] - mu[None, :])
            density = np.exp(-0.5 * (x[t] - mean) ** 2 / var[:, None]) / np.sqrt(2.0 * np.pi * var[:, None])
            joint = predicted * density
            total = joint.sum()
            marginal = joint.sum(axis=1) / total if total > 0 else predicted.sum(axis=1)
        else:
            marginal = predicted.sum(axis=1)
        out[t] = marginal
    columns = [f"regime_{i}" for i in range(params.regimes)]
    return pd.DataFrame(out, index=log_variance.index, columns=columns).iloc[1:]
