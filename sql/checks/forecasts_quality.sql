-- One model partition's forecasts (target, model, window [$window_start, $window_end)): values that are not
-- finite or not positive, crossing quantiles, training that reached into the window, and feature days of the
-- window without a forecast. Symbols in $skipped (too little purged history to fit) are reported by the caller, and
-- days restarting after a gap (inputs incomplete: forecasting/restarting_days.sql, defined on the connection) may
-- have none: neither counts as missing days. A window with feature days but no forecast at all is a defect.
WITH partition_rows AS (
    SELECT * FROM forecasts WHERE target = $target AND model = $model AND window_start = $window_start
),
window_days AS (
    SELECT symbol, date FROM daily_features
    WHERE date >= $window_start AND date < $window_end AND symbol NOT IN (SELECT unnest($skipped::VARCHAR[]))
    EXCEPT
    SELECT symbol, date FROM restarting_days($window_start, $window_end, $restart_rows)
)
SELECT
    (SELECT count(*) FROM partition_rows
        WHERE NOT isfinite(forecast + /*quantile_sum*/)) AS non_finite_values,
    (SELECT count(*) FROM partition_rows WHERE least(forecast, /*quantile_columns*/) <= 0) AS non_positive_values,
    (SELECT count(*) FROM partition_rows WHERE NOT (/*quantiles_ascending*/))
        AS crossing_quantiles,
    (SELECT count(*) FROM partition_rows WHERE trained_through >= $window_start) AS training_reached_the_window,
    (SELECT count(*) FROM window_days ANTI JOIN partition_rows USING (symbol, date)) AS missing_trading_days,
    (SELECT count(*) FROM partition_rows WHERE date < $window_start OR date >= $window_end) AS rows_outside_window,
    (SELECT count(*) = 0 FROM partition_rows)::INTEGER
        * (SELECT count(*) > 0 FROM daily_features WHERE date >= $window_start AND date < $window_end)::INTEGER
        AS window_without_forecasts
