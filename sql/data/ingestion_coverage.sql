-- Per symbol of an incoming delivery (the view `incoming_bars`), the dates it covers and, inside them, what is
-- stored already: rows the delivery replaces (same key) and stored days the delivery no longer has.
WITH coverage AS (
    SELECT symbol, min(CAST(date AS DATE)) AS first_day, max(CAST(date AS DATE)) AS last_day, count(*) AS delivered
    FROM incoming_bars
    GROUP BY symbol
),
stored AS (
    SELECT p.symbol, p.date
    FROM raw_prices AS p
    JOIN coverage AS c ON p.symbol = c.symbol AND p.date BETWEEN c.first_day AND c.last_day
),
dropped AS (
    SELECT s.symbol, count(*) AS missing_days, min(s.date) AS first_missing
    FROM stored AS s
    ANTI JOIN incoming_bars AS i ON i.symbol = s.symbol AND CAST(i.date AS DATE) = s.date
    GROUP BY s.symbol
)
SELECT c.symbol, c.first_day, c.last_day, c.delivered,
       (SELECT count(*) FROM stored AS s WHERE s.symbol = c.symbol) AS stored_days,
       coalesce(d.missing_days, 0) AS missing_days, d.first_missing
FROM coverage AS c
LEFT JOIN dropped AS d USING (symbol)
ORDER BY c.symbol
