"""The project's DuckDB SQL lives as files under the top-level ``sql/`` folder; this module reads them.

Quantile columns are declared once, in ``forge_core.quantiles``; SQL files name them through markers that
``read_sql`` expands (``q05, q10, ...`` for ``QUANTILE_LEVELS`` = 0.05, 0.1, ...):

- ``/*quantile_columns*/``: ``q05, q10, ...``
- ``/*quantile_columns_ddl*/``: ``q05 DOUBLE NOT NULL, q10 DOUBLE NOT NULL, ...``
- ``/*quantile_sum*/``: ``q05 + q10 + ...`` (finite only when every quantile is)
- ``/*quantiles_ascending*/``: ``q05 <= q10 AND q10 <= ...``

and the published interval bounds (``forge_core.quantiles.BOUND_COLUMNS``: ``lower_50, upper_50, ...``) through
``/*bound_columns*/``, ``/*bound_columns_ddl*/``, ``/*bound_sum*/`` and ``/*bounds_nested*/`` (each level's
interval inside the next wider one), ``/*inner_lower*/``, ``/*inner_upper*/`` and ``/*outer_upper*/`` (the 50%
band's ends and the 95% band's upper end); whether each interval covered, through ``/*covered_columns_ddl*/``.
The publishing roles (``forge_core.roles.Role``) are named the same way: ``/*champion_role*/`` is ``'champion'``.
"""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

from forge_core.quantiles import (
    BOUND_COLUMNS,
    COVERED_COLUMNS,
    INTERVAL_LEVELS,
    QUANTILE_COLUMNS,
    bound_column,
)
from forge_core.roles import Role

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
SQL_MARKERS = {
    "/*quantile_columns*/": ", ".join(QUANTILE_COLUMNS),
    "/*quantile_columns_ddl*/": ", ".join(f"{q} DOUBLE NOT NULL" for q in QUANTILE_COLUMNS),
    "/*quantile_sum*/": " + ".join(QUANTILE_COLUMNS),
    "/*quantiles_ascending*/": " AND ".join(f"{a} <= {b}" for a, b in itertools.pairwise(QUANTILE_COLUMNS)),
    "/*bound_columns*/": ", ".join(BOUND_COLUMNS),
    "/*bound_columns_ddl*/": ", ".join(f"{b} DOUBLE NOT NULL" for b in BOUND_COLUMNS),
    "/*bound_sum*/": " + ".join(BOUND_COLUMNS),
    "/*inner_lower*/": bound_column("lower", INTERVAL_LEVELS[0]),
    "/*inner_upper*/": bound_column("upper", INTERVAL_LEVELS[0]),
    "/*outer_upper*/": bound_column("upper", INTERVAL_LEVELS[-1]),
    **{f"/*{role.value}_role*/": f"'{role.value}'" for role in Role},
    "/*covered_columns_ddl*/": ", ".join(f"{c} BOOLEAN NOT NULL" for c in COVERED_COLUMNS),
    "/*bounds_nested*/": " AND ".join(
        f"{a} <= {b}"
        for a, b in itertools.pairwise(
            [bound_column("lower", v) for v in reversed(INTERVAL_LEVELS)]
            + [bound_column("upper", v) for v in INTERVAL_LEVELS]
        )
    ),
}


@cache
def read_sql(relative_path: str) -> str:
    """Text of ``sql/<relative_path>``; a clear error if the project's SQL folder is not beside the packages."""
    path = SQL_DIR / relative_path
    if not path.is_file():
        raise FileNotFoundError(
            f"SQL file {path} not found: forge_core reads SQL from the repository's sql/ folder, "
            "so install the project in editable mode (pip install -e .)"
        )
    text = path.read_text()
    for marker, expansion in SQL_MARKERS.items():
        text = text.replace(marker, expansion)
    return text


def table_ddl() -> list[str]:
    """CREATE TABLE statements of every warehouse table, in file-name order."""
    return [read_sql(f"tables/{p.name}") for p in sorted((SQL_DIR / "tables").glob("*.sql"))]
