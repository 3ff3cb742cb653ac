-- Helpers for the feature SQL. DuckDB's greatest() and least() skip NULL arguments, so an incomplete
-- window (NULL) would turn into a number; these keep NULL as NULL.
CREATE OR REPLACE TEMP MACRO floored_log(x, floor) AS CASE WHEN x IS NULL THEN NULL ELSE ln(greatest(x, floor)) END;
CREATE OR REPLACE TEMP MACRO negative_part(x) AS CASE WHEN x IS NULL THEN NULL ELSE least(x, 0) END;
