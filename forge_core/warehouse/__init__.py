"""The DuckDB warehouse: its connection with lock retries (``connection``), the reader snapshot a reader opens
instead of the live file (``reader_snapshots``), partition writes in one transaction (``partition_writes``), the
SQL files and table DDL (``sql_files``), quality rules and summaries."""

from forge_core.warehouse.connection import open_warehouse
from forge_core.warehouse.partition_writes import replace_keyed, replace_window
from forge_core.warehouse.reader_snapshots import open_reader
from forge_core.warehouse.sql_files import read_sql, table_ddl

__all__ = ["open_reader", "open_warehouse", "read_sql", "replace_keyed", "replace_window", "table_ddl"]
