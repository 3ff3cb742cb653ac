"""Explanations: SHAP contributions of a model's inputs to its log-variance forecasts."""

from forge_core.explain.shap_values import Explanation, explain

__all__ = ["Explanation", "explain"]
