"""Market regimes: a Markov-switching model of log variance with causal (filtered) regime probabilities."""

from forge_core.regimes.markov_switching import RegimeParams, filtered_probabilities, fit_regimes

__all__ = ["RegimeParams", "filtered_probabilities", "fit_regimes"]
