"""The bundled data is read from arch's files without importing arch (which loads matplotlib): the frames are those
arch's own loaders give."""

from __future__ import annotations

import importlib

import pandas as pd
import pytest

from forge_core.data.bundled import _arch_data


@pytest.mark.parametrize("name", ["sp500", "nasdaq", "vix"])
def test_the_files_read_as_arch_reads_them(name: str) -> None:
    loaded = importlib.import_module(f"arch.data.{name}").load()
    pd.testing.assert_frame_equal(_arch_data(name), loaded)
