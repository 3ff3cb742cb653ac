-- Helpers for the feature SQL. DuckDB's greatest() and least() skip NULL arguments, so an incomplete
-- window (NULL) would turn into a number; these keep NULL as NULL.
CREATE OR REPLACE TEMP MACRO floored_log(x, floor) AS CASE WHEN x IS NULL THEN NULL ELSE ln(greatest(x, floor)) END;
CREATE OR REPLACE TEMP MACRO negative_part(x) AS CASE WHEN x IS NULL THEN NULL ELSE least(x, 0) END;
-- Weekdays from Monday 1900-01-01 to d (a Saturday or Sunday counts as the next Monday): the weekdays strictly
-- between two weekday dates a < b are weekday_number(b) - weekday_number(a) - 1.
CREATE OR REPLACE TEMP MACRO weekday_number(d) AS
    (datediff('day', DATE '1900-01-01', d) // 7) * 5 + least(datediff('day', DATE '1900-01-01', d) % 7, 5);
