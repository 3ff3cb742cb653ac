"""Option quotes: implied volatility (and, to come, the option-implied feature tables)."""

from forge_core.options.implied_vol import ImpliedVols, IvFlag, black_price, implied_vol

__all__ = ["ImpliedVols", "IvFlag", "black_price", "implied_vol"]
