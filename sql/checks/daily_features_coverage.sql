-- Traded bars dated in [$start, $end), after each symbol's first bar, that have no daily_features row, and
-- (symbol, date) keys that appear more than once.
WITH window_rows AS (
    SELECT symbol, date FROM daily_features WHERE date >= $start AND date < $end
),
expected AS (
    SELECT symbol, date
    FROM (
        SELECT symbol, date, lag(date) OVER (PARTITION BY symbol ORDER BY date) AS previous_date
        FROM raw_prices
        WHERE date < $end AND symbol NOT IN (SELECT unnest($vix_symbols))
    )
    WHERE date >= $start AND previous_date IS NOT NULL
)
SELECT
    (SELECT count(*) FROM expected ANTI JOIN window_rows USING (symbol, date)) AS missing_trading_days,
    (SELECT count(*) - count(DISTINCT (symbol, date)) FROM window_rows) AS duplicate_keys
