-- Targets realised in [$start, $end): values that are not finite or are negative; declared targets ($names,
-- $horizons) with no row in the window although a symbol has a feature day in it with more than `horizon` feature
-- days up to it since its last gap (so the window should hold that target); over the whole table: repeated
-- (symbol, date, target)
-- keys, and target names stored under more than one definition (horizon, proxy).
WITH declared AS (
    SELECT unnest($names::VARCHAR[]) AS target, unnest($horizons::INTEGER[]) AS horizon
),
deepest AS (
    SELECT coalesce(max(n), 0) AS n
    FROM (
        SELECT date, row_number() OVER (PARTITION BY symbol, segment ORDER BY date) AS n
        FROM (
            SELECT symbol, date,
                   count_if(log_return IS NULL) OVER (PARTITION BY symbol ORDER BY date ROWS UNBOUNDED PRECEDING)
                       AS segment
            FROM daily_features
            WHERE date < $end
        )
    )
    WHERE date >= $start
)
SELECT
    count(*) FILTER (WHERE NOT isfinite(value)) AS non_finite_values,
    count(*) FILTER (WHERE value < 0) AS negative_values,
    (SELECT count(*) FROM declared AS d
        WHERE (SELECT n FROM deepest) > d.horizon
          AND NOT EXISTS (SELECT 1 FROM targets AS t
                          WHERE t.target = d.target AND t.realised_on >= $start AND t.realised_on < $end)
    ) AS declared_targets_missing_from_the_window,
    (SELECT count(*) - count(DISTINCT (symbol, date, target)) FROM targets) AS duplicate_keys,
    (SELECT count(*) FROM (
        SELECT target FROM targets GROUP BY target HAVING count(DISTINCT (horizon, proxy)) > 1
    )) AS names_with_several_definitions
FROM targets
WHERE realised_on >= $start AND realised_on < $end
