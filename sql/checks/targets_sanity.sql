-- targets realised in [$start, $end): values that are not finite or are negative, and repeated keys.
SELECT
    count(*) FILTER (WHERE NOT isfinite(value)) AS non_finite_values,
    count(*) FILTER (WHERE value < 0) AS negative_values,
    count(*) - count(DISTINCT (symbol, date, target)) AS duplicate_keys
FROM targets
WHERE realised_on >= $start AND realised_on < $end
