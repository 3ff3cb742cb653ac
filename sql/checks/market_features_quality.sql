-- Rows of market_features in [$start, $end) that cannot be right.
SELECT
    count(*) FILTER (WHERE spread_bps <= 0) AS non_positive_spread,
    count(*) FILTER (WHERE abs(ofi) > 1) AS imbalance_outside_unit,
    count(*) FILTER (WHERE abs(corr_market_63) > 1 + 1e-9 OR abs(corr_market_252) > 1 + 1e-9) AS correlation_outside_unit
FROM market_features
WHERE date >= $start AND date < $end
