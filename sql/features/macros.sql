-- Helpers for the feature SQL. DuckDB's greatest() and least() skip NULL arguments, so an incomplete
-- window (NULL) would turn into a number; these keep NULL as NULL.
CREATE OR REPLACE TEMP MACRO floored_log(x, floor) AS CASE WHEN x IS NULL THEN NULL ELSE ln(greatest(x, floor)) END;
CREATE OR REPLACE TEMP MACRO negative_part(x) AS CASE WHEN x IS NULL THEN NULL ELSE least(x, 0) END;
-- Weekdays from Monday 1900-01-01 to d (a Saturday or Sunday counts as the next Monday): the weekdays strictly
-- between two weekday dates a < b are weekday_number(b) - weekday_number(a) - 1.
CREATE OR REPLACE TEMP MACRO weekday_number(d) AS
    (datediff('day', DATE '1900-01-01', d) // 7) * 5 + least(datediff('day', DATE '1900-01-01', d) % 7, 5);
-- Fixed point for exact window sums: x as the nearest multiple of 2^-80 (variance proxies, returns: |x| < 2^40
-- keeps 63-row sums inside HUGEINT), or of 2^-50 for log volumes (below 181: 63 times the sum of 63 squares fits).
-- Rounding a double to the grid depends on the value alone, and integer addition is associative. A non-finite
-- value (only a corrupt bar gives one; the blocking check daily_features_non_finite names it) is left out of sums.
CREATE OR REPLACE TEMP MACRO to_fixed(x) AS
    CASE WHEN isfinite(x) THEN CAST(round(x * 1208925819614629174706176.0) AS HUGEINT) END;
CREATE OR REPLACE TEMP MACRO from_fixed(s) AS CAST(s AS DOUBLE) / 1208925819614629174706176.0;
CREATE OR REPLACE TEMP MACRO to_fixed_volume(x) AS
    CASE WHEN isfinite(x) THEN CAST(round(x * 1125899906842624.0) AS HUGEINT) END;
CREATE OR REPLACE TEMP MACRO from_fixed_volume(s) AS CAST(s AS DOUBLE) / 1125899906842624.0;
CREATE OR REPLACE TEMP MACRO from_fixed_volume_square(s) AS CAST(s AS DOUBLE) / 1.2676506002282294e+30;
