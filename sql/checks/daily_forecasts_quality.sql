-- One day of published forecasts ($day, every target): values that are not finite or not positive, crossing
-- quantiles, interval bounds not nested around each other (lower_95 <= lower_90 <= ... <= upper_90 <= upper_95),
-- a 50% band whose upper end is not strictly below the 95% band's, a point outside its 50% band not flagged skewed
-- (or flagged inside it), a set publishing twice, models trained on data realised after the day, and targets without
-- a champion.
WITH day_rows AS (SELECT * FROM daily_forecasts WHERE as_of = $day)
SELECT
    (SELECT count(*) FROM day_rows
        WHERE NOT isfinite(forecast + raw_forecast + /*quantile_sum*/ + /*bound_sum*/)) AS non_finite_values,
    (SELECT count(*) FROM day_rows WHERE least(forecast, raw_forecast, /*quantile_columns*/, /*bound_columns*/) <= 0)
        AS non_positive_values,
    (SELECT count(*) FROM day_rows WHERE NOT (/*quantiles_ascending*/)) AS crossing_quantiles,
    (SELECT count(*) FROM day_rows WHERE NOT (/*bounds_nested*/)) AS crossing_bounds,
    (SELECT count(*) FROM day_rows WHERE /*inner_upper*/ >= /*outer_upper*/) AS degenerate_bands,
    (SELECT count(*) FROM day_rows
        WHERE NOT skewed AND (forecast < /*inner_lower*/ OR forecast > /*inner_upper*/)) AS point_outside_50_band,
    (SELECT count(*) FROM day_rows
        WHERE skewed AND forecast BETWEEN /*inner_lower*/ AND /*inner_upper*/) AS skewed_flag_inside_band,
    (SELECT count(*) FROM (SELECT target, symbol, model_version FROM day_rows GROUP BY ALL HAVING count(*) > 1))
        AS duplicate_rows,
    (SELECT count(*) FROM day_rows WHERE fitted_as_of > as_of) AS fitted_after_the_day,
    (SELECT count(DISTINCT target) FROM day_rows)
        - (SELECT count(DISTINCT target) FROM day_rows WHERE role = /*champion_role*/) AS targets_without_champion
