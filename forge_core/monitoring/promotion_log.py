"""The ``promotions`` table: every decision, rollback and fallback (``previous_champion`` publishing in the place
of a champion that cannot be loaded), appended once (a re-run of the same decision between the same versions on the
same day is recognised and not written again)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd

PROMOTION_COLUMNS = [
    "decided_on", "target", "action", "champion_version", "challenger_version", "champion_model",
    "challenger_model", "reason", "days", "first_day", "last_day", "champion_qlike", "challenger_qlike",
    "dm_statistic", "dm_p_value", "challenger_mcs_p_value", "run_id", "created_at",
]  # fmt: skip


ROLLED_BACK, FALLBACK = "rolled_back", "fallback"


def already_decided(
    conn: duckdb.DuckDBPyConnection,
    day: dt.date,
    target: str,
    champion: int,
    challenger: int | None,
    fallback: bool = False,
) -> bool:
    """Whether ``promotions`` holds a decision (with ``fallback``: a fallback) of ``day`` for ``target`` between
    these versions."""
    found = conn.execute(
        "SELECT count(*) FROM promotions WHERE decided_on = ? AND target = ? AND champion_version = ? "
        "AND challenger_version IS NOT DISTINCT FROM ? AND action <> ? AND (action = ?) = ?",
        [day, target, champion, challenger, ROLLED_BACK, FALLBACK, fallback],
    ).fetchall()
    return bool(found[0][0])


def record(conn: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """Append one decision (missing statistics NULL)."""
    frame = pd.DataFrame([{c: row.get(c) for c in PROMOTION_COLUMNS}])
    frame["created_at"] = pd.Timestamp.now(tz="UTC").tz_localize(None)
    conn.register("incoming_promotion", frame)
    try:
        conn.execute("INSERT INTO promotions SELECT * FROM incoming_promotion")
    finally:
        conn.unregister("incoming_promotion")
