-- Every stored forecast of $target made before $end, with the realised target value where it had realised before
-- $end (NULL otherwise): what an ensemble or a calibration may learn from up to $end. Which of these rows a given
-- day may use (realised by that day's close) is decided by the caller's delay rule. Days restarting after a gap
-- (forecasting/restarting_days.sql, defined on the connection) are left out: some members cannot forecast them.
SELECT fc.symbol, fc.date, fc.model, fc.forecast, /*quantile_columns*/,
       CASE WHEN t.realised_on < $end THEN t.value END AS realised
FROM forecasts AS fc
LEFT JOIN targets AS t ON t.symbol = fc.symbol AND t.date = fc.date AND t.target = fc.target
WHERE fc.target = $target AND fc.date < $end
  AND (fc.symbol, fc.date) NOT IN (SELECT (symbol, date) FROM restarting_days(DATE '1900-01-01', $end, $restart_rows))
ORDER BY fc.symbol, fc.date, fc.model
