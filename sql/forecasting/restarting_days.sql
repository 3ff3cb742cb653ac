-- restarting_days(since, until, restart_rows): the (symbol, date) of daily_features rows in [since, until) that lie
-- fewer than restart_rows rows after a gap (a row without log_return: the gap's first bar, itself included). Every
-- feature window restarts at a gap, so a model's inputs stay incomplete there: such a day may have no forecast, and
-- ensembles and calibrations leave it out. Looks back restart_rows weeks, enough for a symbol trading weekly.
CREATE OR REPLACE TEMP MACRO restarting_days(since, until, restart_rows) AS TABLE
    SELECT symbol, date
    FROM (
        SELECT
            symbol, date, bar,
            last_value(CASE WHEN after_gap THEN bar END IGNORE NULLS)
                OVER (PARTITION BY symbol ORDER BY date ROWS UNBOUNDED PRECEDING) AS gap_bar
        FROM (
            SELECT symbol, date, log_return IS NULL AS after_gap,
                   row_number() OVER (PARTITION BY symbol ORDER BY date) AS bar
            FROM daily_features
            WHERE date < until AND date >= since - to_days(CAST(7 * restart_rows AS INTEGER))
        )
    )
    WHERE date >= since AND bar - gap_bar < restart_rows;
