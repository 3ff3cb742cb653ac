"""Monte Carlo paths of returns and variance for the days after a close, and their fans."""

from forge_core.paths.log_har_paths import LogHarSimulator
from forge_core.paths.simulated_paths import Paths, garch_mean_variance, garch_paths

__all__ = ["LogHarSimulator", "Paths", "garch_mean_variance", "garch_paths"]
