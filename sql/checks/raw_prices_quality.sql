-- Rows of raw_prices in [$start, $end) breaking an OHLCV invariant, counted per kind of defect.
SELECT
    count(*) FILTER (WHERE NOT (isfinite(open) AND isfinite(high) AND isfinite(low) AND isfinite(close)
                                AND isfinite(volume))) AS non_finite_values,
    count(*) FILTER (WHERE least(open, high, low, close) <= 0) AS non_positive_prices,
    count(*) FILTER (WHERE high < greatest(open, close)) AS high_below_open_or_close,
    count(*) FILTER (WHERE low > least(open, close)) AS low_above_open_or_close,
    count(*) FILTER (WHERE volume < 0) AS negative_volume
FROM raw_prices
WHERE date >= $start AND date < $end
