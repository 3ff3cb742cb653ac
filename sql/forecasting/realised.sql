-- Forecasts of the given targets joined with the realised target values (rows not yet realised are dropped).
SELECT fc.symbol, fc.date, fc.target, t.horizon, t.proxy, fc.model, fc.window_start, fc.forecast,
       /*quantile_columns*/, t.value AS realised
FROM forecasts AS fc
JOIN targets AS t ON t.symbol = fc.symbol AND t.date = fc.date AND t.target = fc.target
ORDER BY fc.target, fc.symbol, fc.date, fc.model
