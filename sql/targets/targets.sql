-- One forecast target for the traded symbols: value at t = mean of the daily proxy over rows t+1 .. t+$horizon,
-- kept only when the whole window exists, does not cross a gap (a row after a gap has no log_return: see
-- features/daily_features.sql) and its last row (realised_on) falls in [$start, $end).
-- The proxy column is chosen by name among the daily proxies, so no identifier is ever formatted into SQL.
-- The mean is a fixed-point sum (features/macros.sql): exact, so a window's rows give the same value whatever the
-- extent of the build around them.
WITH lookback_start AS (
    SELECT symbol, min(date) AS first_date
    FROM (
        SELECT symbol, date, row_number() OVER (PARTITION BY symbol ORDER BY date DESC) AS rows_back
        FROM daily_features
        WHERE date < $start
    )
    WHERE rows_back <= $horizon
    GROUP BY symbol
),
proxy AS (
    SELECT
        f.symbol, f.date,
        CASE $proxy
            WHEN 'parkinson' THEN f.parkinson_d
            WHEN 'garman_klass' THEN f.garman_klass_d
            WHEN 'rogers_satchell' THEN f.rogers_satchell_d
            WHEN 'yang_zhang' THEN f.yang_zhang_d
            WHEN 'sq_return' THEN f.sq_return_d
        END AS variance,
        f.log_return IS NULL AS after_gap
    FROM daily_features AS f
    LEFT JOIN lookback_start AS b USING (symbol)
    WHERE f.date < $end AND f.date >= coalesce(b.first_date, $start)
),
ahead AS (
    SELECT
        symbol, date,
        from_fixed(sum(to_fixed(variance)) OVER next_rows) / $horizon AS value,
        count(variance) OVER next_rows AS rows_ahead,
        count_if(after_gap) OVER next_rows AS gaps_ahead,
        lead(date, $horizon) OVER (PARTITION BY symbol ORDER BY date) AS realised_on
    FROM proxy
    WINDOW next_rows AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 1 FOLLOWING AND $horizon FOLLOWING)
)
SELECT symbol, date, $target AS target, $horizon AS horizon, $proxy AS proxy, value, realised_on
FROM ahead
WHERE rows_ahead = $horizon AND gaps_ahead = 0 AND realised_on >= $start AND realised_on < $end
