-- Notable steps between a traded symbol's consecutive bars, for bars dated in [$start, $end): a gap (more than
-- $max_gap_weekdays weekdays since the previous bar) or, where the two bars carry no adj_close and no split is
-- recorded for the day, an overnight move ln(open / previous close) of at least $min_split_move (a split?).
-- Needs the macros of features/macros.sql on the connection.
WITH steps AS (
    SELECT
        p.symbol, p.date, p.open, p.adj_close,
        lag(p.date) OVER by_day AS previous_date,
        lag(p.close) OVER by_day AS previous_close,
        lag(p.adj_close) OVER by_day AS previous_adj_close
    FROM raw_prices AS p
    WHERE p.date < $end AND p.symbol NOT IN (SELECT unnest($vix_symbols))
    WINDOW by_day AS (PARTITION BY p.symbol ORDER BY p.date)
),
measured AS (
    SELECT
        st.symbol, st.date, st.previous_date,
        weekday_number(st.date) - weekday_number(st.previous_date) - 1 AS missing_weekdays,
        ln(st.open / st.previous_close) AS overnight_move,
        (st.adj_close IS NULL OR st.previous_adj_close IS NULL) AND sp.ratio IS NULL AS unadjusted
    FROM steps AS st
    LEFT JOIN splits AS sp USING (symbol, date)
    WHERE st.date >= $start AND st.previous_date IS NOT NULL
)
SELECT symbol, date, previous_date, missing_weekdays, overnight_move
FROM measured
WHERE missing_weekdays > $max_gap_weekdays OR (unadjusted AND abs(overnight_move) >= $min_split_move)
ORDER BY symbol, date
