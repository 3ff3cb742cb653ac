-- Feature rows of the traded symbols (of $symbols only, unless it is empty) dated from $start (unless NULL) and
-- before $end, with one target's value and the day it was realised (NULL while t+h has not happened yet), and the
-- filtered probability of the most turbulent Markov-switching regime that day (`regime_turbulent`, NULL where the
-- `regimes` table has no row: known at the close of t, from a model fitted before t's window). Whoever trains on
-- this must keep only rows realised before its window.
SELECT f.*, r.probability AS regime_turbulent, t.value AS target_value, t.realised_on
FROM daily_features AS f
LEFT JOIN targets AS t ON t.symbol = f.symbol AND t.date = f.date AND t.target = $target
LEFT JOIN regimes AS r ON r.symbol = f.symbol AND r.date = f.date AND r.regime = r.regimes - 1
WHERE f.date < $end
  AND ($start::DATE IS NULL OR f.date >= $start::DATE)
  AND (len($symbols::VARCHAR[]) = 0 OR list_contains($symbols::VARCHAR[], f.symbol))
ORDER BY f.symbol, f.date
