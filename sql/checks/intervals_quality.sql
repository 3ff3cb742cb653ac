-- One partition of the intervals table ($target, $window_start), judged per (symbol, date, target, model, method)
-- across its levels as the method produced them: bounds or points not finite or not positive; levels not nested
-- (each level's band inside the next wider one, lower <= upper); an innermost upper end not strictly below the
-- outermost; a point outside its innermost (50%) band not flagged skewed, or flagged inside it.
WITH part AS (
    SELECT *,
        lag(lower) OVER band AS inner_lower,
        lag(upper) OVER band AS inner_upper,
        last_value(upper) OVER (band ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_upper,
        row_number() OVER band AS rank
    FROM intervals
    WHERE target = $target AND window_start = $window_start
    WINDOW band AS (PARTITION BY symbol, date, target, model, method ORDER BY level)
)
SELECT
    (SELECT count(*) FROM part WHERE NOT isfinite(lower + upper + point)) AS non_finite_values,
    (SELECT count(*) FROM part WHERE least(lower, upper, point) <= 0) AS non_positive_values,
    (SELECT count(*) FROM part
        WHERE lower > upper OR lower > inner_lower OR upper < inner_upper) AS crossing_bounds,
    (SELECT count(*) FROM part WHERE rank = 1 AND upper >= last_upper) AS degenerate_bands,
    (SELECT count(*) FROM part
        WHERE rank = 1 AND NOT skewed AND (point < lower OR point > upper)) AS point_outside_50_band,
    (SELECT count(*) FROM part
        WHERE rank = 1 AND skewed AND point BETWEEN lower AND upper) AS skewed_flag_inside_band
