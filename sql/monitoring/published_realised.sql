-- Published forecasts whose target realised at the close of $day (a positive realised value: QLIKE needs it),
-- with that value.
SELECT f.symbol, f.as_of, f.target, f.model, f.role, f.model_version, f.fitted_qlike, t.realised_on,
       t.value AS realised, f.forecast, /*bound_columns*/
FROM daily_forecasts AS f
JOIN targets AS t ON t.symbol = f.symbol AND t.date = f.as_of AND t.target = f.target
WHERE t.realised_on = $day AND t.value > 0
ORDER BY f.target, f.symbol, f.model_version
