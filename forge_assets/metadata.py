"""Metadata helpers shared by assets."""

import base64
from pathlib import Path

from dagster import MetadataValue


def figure(path: Path) -> MetadataValue:
    """A PNG shown inline in the asset's metadata (markdown with the image embedded as a data URI)."""
    return MetadataValue.md(
        f"![{path.stem}](data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"
    )
