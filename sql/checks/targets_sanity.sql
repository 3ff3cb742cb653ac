-- Targets realised in [$start, $end): values that are not finite or are negative; over the whole table: repeated
-- (symbol, date, target) keys, and target names stored under more than one definition (horizon, proxy).
SELECT
    count(*) FILTER (WHERE NOT isfinite(value)) AS non_finite_values,
    count(*) FILTER (WHERE value < 0) AS negative_values,
    (SELECT count(*) - count(DISTINCT (symbol, date, target)) FROM targets) AS duplicate_keys,
    (SELECT count(*) FROM (
        SELECT target FROM targets GROUP BY target HAVING count(DISTINCT (horizon, proxy)) > 1
    )) AS names_with_several_definitions
FROM targets
WHERE realised_on >= $start AND realised_on < $end
