"""Market data: the canonical OHLCV schema (``schema``), its validation (``validation``), the bundled, file and
synthetic sources (``sources``), split detection, continuity, the trading calendar and ingestion."""

from forge_core.data.bundled import BundledSource
from forge_core.data.files import FileSource
from forge_core.data.schema import VIX_SYMBOLS, DataProblem, MarketDataError
from forge_core.data.sources import SOURCE_KINDS, MarketDataSource, make_source
from forge_core.data.synthetic import SyntheticSource
from forge_core.data.validation import CheckedBars, validate_ohlcv

__all__ = [
    "SOURCE_KINDS",
    "VIX_SYMBOLS",
    "BundledSource",
    "CheckedBars",
    "DataProblem",
    "FileSource",
    "MarketDataError",
    "MarketDataSource",
    "SyntheticSource",
    "make_source",
    "validate_ohlcv",
]
