-- targets realised in [$start, $end): values that are not finite or are negative.
SELECT
    count(*) FILTER (WHERE NOT isfinite(value)) AS non_finite_values,
    count(*) FILTER (WHERE value < 0) AS negative_values
FROM targets
WHERE realised_on >= $start AND realised_on < $end
