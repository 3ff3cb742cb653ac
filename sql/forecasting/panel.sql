-- Feature rows of the traded symbols (of $symbols only, unless it is empty) dated from $start (unless NULL) and
-- before $end, with one target's value and the day it was realised (NULL while t+h has not happened yet), and the
-- filtered probability of the most turbulent Markov-switching regime that day (`regime_turbulent`, NULL where the
-- `regimes` table has no row: known at the close of t, from a model fitted before t's window), and the option and
-- market features of the day (NULL where none): what HAR-X (log_har's exog) and the nets' extra_columns may use;
-- `vix_variance`, the daily variance the VIX close implies ((VIX/100)^2/252), is the VIX in the units HAR-X needs.
-- Whoever trains on this must keep only rows realised before its window.
SELECT f.*, r.probability AS regime_turbulent, power(f.vix_level / 100, 2) / 252 AS vix_variance,
       o.atm_var_30d, o.atm_iv_30d, o.term_slope, o.rr25, o.bf25, o.vrp,
       m.spread_bps, m.microprice_bps, m.ofi, m.liquidity_score, m.corr_market_63, m.vix_change_lag1,
       t.value AS target_value, t.realised_on
FROM daily_features AS f
LEFT JOIN targets AS t ON t.symbol = f.symbol AND t.date = f.date AND t.target = $target
LEFT JOIN regimes AS r ON r.symbol = f.symbol AND r.date = f.date AND r.regime = r.regimes - 1
LEFT JOIN option_features AS o ON o.symbol = f.symbol AND o.date = f.date
LEFT JOIN market_features AS m ON m.symbol = f.symbol AND m.date = f.date
WHERE f.date < $end
  AND ($start::DATE IS NULL OR f.date >= $start::DATE)
  AND (len($symbols::VARCHAR[]) = 0 OR list_contains($symbols::VARCHAR[], f.symbol))
ORDER BY f.symbol, f.date
