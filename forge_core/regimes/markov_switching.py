"""A Markov-switching model of daily log variance, with filtered (causal) regime probabilities.

With :math:`x_t` the log of the daily variance proxy and :math:`S_t \\in \\{0..K-1\\}` a Markov chain with
:math:`P_{ij} = \\Pr(S_t = i \\mid S_{t-1} = j)`,

.. math::

    x_t = c_{S_t} + \\beta x_{t-1} + \\sigma_{S_t} \\varepsilon_t, \\qquad \\varepsilon_t \\sim N(0, 1),

fitted by maximum likelihood (statsmodels' ``MarkovRegression``: switching intercept and variance, one
autoregressive term shared by the regimes) on the rows it is given, and nothing else. Regimes are numbered by their
long-run level :math:`c_i / (1 - \\beta)`, lowest first, so regime 0 is always the calm one and labels never switch
between fits.

The probabilities it publishes are *filtered*, :math:`\\Pr(S_t = i \\mid x_1..x_t)`, from the Hamilton filter run
here on the fitted parameters,

.. math::

    \\xi_{t|t-1} = P\\,\\xi_{t-1|t-1}, \\qquad
    \\xi_{t|t} = \\frac{\\xi_{t|t-1} \\odot \\eta_t}{\\mathbf 1^\\top (\\xi_{t|t-1} \\odot \\eta_t)}, \\qquad
    \\eta_{t,i} = \\phi\\bigl(x_t;\\, c_i + \\beta x_{t-1},\\, \\sigma_i^2\\bigr),

started from the chain's stationary distribution. Never smoothed probabilities (statsmodels'
``smoothed_marginal_probabilities``, hmmlearn's ``predict_proba``): they use the rows after :math:`t`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
MIN_ROWS_PER_REGIME = 250  # fewer rows than this times K: refused, the likelihood has too little to go on


@dataclass(frozen=True)
class RegimeParams:
    """Fitted parameters, regimes ordered by long-run level (regime 0 the lowest).

    intercepts, variances : per regime, :math:`c_i` and :math:`\\sigma_i^2`.
    beta : the shared autoregressive coefficient.
    transition : :math:`P_{ij} = \\Pr(S_t = i \\mid S_{t-1} = j)`, columns summing to one.
    """

    intercepts: tuple[float, ...]
    variances: tuple[float, ...]
    beta: float
    transition: tuple[tuple[float, ...], ...]

    @property
    def regimes(self) -> int:
        return len(self.intercepts)

    @property
    def levels(self) -> FloatArray:
        """Each regime's long-run mean of :math:`x`, :math:`c_i / (1 - \\beta)`."""
        return np.asarray(self.intercepts) / (1.0 - self.beta)

    def stationary(self) -> FloatArray:
        """The chain's stationary distribution: the eigenvector of :math:`P` for eigenvalue 1."""
        values, vectors = np.linalg.eig(np.asarray(self.transition))
        vector = np.real(vectors[:, np.argmin(np.abs(values - 1.0))])
        distribution: FloatArray = vector / vector.sum()
        return distribution


def fit_regimes(log_variance: pd.Series, regimes: int = 2, seed: int = 0) -> RegimeParams:
    """Fit the model on ``log_variance`` (one symbol, days in order, NaN rows dropped). ValueError naming the
    series when it has fewer than ``MIN_ROWS_PER_REGIME`` rows per regime or the fit does not converge."""
    from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

    x = log_variance.dropna().to_numpy(dtype=float)
    name = log_variance.name or "log variance"
    if len(x) - 1 < MIN_ROWS_PER_REGIME * regimes:
        raise ValueError(
            f"{name}: {len(x)} rows, a {regimes}-regime model needs at least {MIN_ROWS_PER_REGIME * regimes + 1}"
        )
    model = MarkovRegression(
        x[1:], k_regimes=regimes, trend="c", exog=x[:-1], switching_exog=False, switching_variance=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence chatter; convergence is checked below
        result = model.fit(disp=False, search_reps=20, rng=np.random.default_rng(seed))
    if not result.mle_retvals.get("converged", False):
        raise ValueError(f"{name}: the {regimes}-regime Markov-switching fit did not converge")
    values = dict(zip(model.param_names, np.asarray(result.params, dtype=float), strict=True))
    beta = next(v for k, v in values.items() if k.startswith("x1"))
    intercepts = np.array([values[f"const[{i}]"] for i in range(regimes)])
    variances = np.array([values[f"sigma2[{i}]"] for i in range(regimes)])
    transition = model.regime_transition_matrix(result.params)[:, :, 0]
    order = np.argsort(intercepts / (1.0 - beta))
    return RegimeParams(
        tuple(map(float, intercepts[order])),
        tuple(map(float, variances[order])),
        float(beta),
        tuple(tuple(map(float, row)) for row in transition[np.ix_(order, order)]),
    )


def filtered_probabilities(params: RegimeParams, log_variance: pd.Series) -> pd.DataFrame:
    """:math:`\\Pr(S_t = i \\mid x_1..x_t)` for every row of ``log_variance`` after its first (columns
    ``regime_0``.. by level); a NaN row carries the prediction :math:`\\xi_{t|t-1}` forward (no observation)."""
    x = log_variance.to_numpy(dtype=float)
    p = np.asarray(params.transition)
    c, var, beta = np.asarray(params.intercepts), np.asarray(params.variances), params.beta
    xi = params.stationary()
    out = np.full((len(x), params.regimes), np.nan)
    for t in range(1, len(x)):
        predicted = p @ xi
        if np.isfinite(x[t]) and np.isfinite(x[t - 1]):
            density = np.exp(-0.5 * (x[t] - c - beta * x[t - 1]) ** 2 / var) / np.sqrt(2.0 * np.pi * var)
            joint = predicted * density
            total = joint.sum()
            xi = joint / total if total > 0 else predicted
        else:
            xi = predicted
        out[t] = xi
    columns = [f"regime_{i}" for i in range(params.regimes)]
    return pd.DataFrame(out, index=log_variance.index, columns=columns).iloc[1:]
