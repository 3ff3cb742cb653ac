-- Traded bars dated in [$start, $end), after each symbol's first bar, that have no daily_features row.
WITH expected AS (
    SELECT symbol, date
    FROM (
        SELECT symbol, date, lag(date) OVER (PARTITION BY symbol ORDER BY date) AS previous_date
        FROM raw_prices
        WHERE date < $end AND symbol NOT IN (SELECT unnest($vix_symbols))
    )
    WHERE date >= $start AND previous_date IS NOT NULL
)
SELECT count(*) AS missing_trading_days
FROM expected AS e
ANTI JOIN (SELECT symbol, date FROM daily_features WHERE date >= $start AND date < $end) AS f USING (symbol, date)
