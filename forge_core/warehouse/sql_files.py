"""The project's DuckDB SQL lives as files under the top-level ``sql/`` folder; this module reads them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


@cache
def read_sql(relative_path: str) -> str:
    """Text of ``sql/<relative_path>``; a clear error if the project's SQL folder is not beside the packages."""
    path = SQL_DIR / relative_path
    if not path.is_file():
        raise FileNotFoundError(
            f"SQL file {path} not found: forge_core reads SQL from the repository's sql/ folder, "
            "so install the project in editable mode (pip install -e .)"
        )
    return path.read_text()


def table_ddl() -> list[str]:
    """CREATE TABLE statements of every warehouse table, in file-name order."""
    return [read_sql(f"tables/{p.name}") for p in sorted((SQL_DIR / "tables").glob("*.sql"))]
