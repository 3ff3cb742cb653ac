-- Microstructure and cross-asset features per traded symbol and day with dates in [$start, $end), all known at the
-- day's close; every symbol also reads the 400 calendar days before $start (more than the 252 rows the longest
-- window needs), so a partition computed alone equals the same rows of a full build.
--   spread_bps        (ask - bid) / mid * 1e4, of the day's closing quote (quote_summaries; NULL without one)
--   microprice_bps    (size-weighted mid / mid - 1) * 1e4, size-weighted mid = (bid * ask_size + ask * bid_size) /
--                     (bid_size + ask_size): above 0 when the bid side is the heavier
--   ofi               order-flow imbalance (buy_volume - sell_volume) / (buy_volume + sell_volume)
--   liquidity_score   ln(bid_size + ask_size) - ln(spread_bps): deep and tight is liquid
--   corr_market_63/_252   rolling correlation of log_return with the market factor (the day's mean log_return over
--                     the traded symbols) over the last 63 / 252 rows (NULL until that many)
--   corr_breakout     |corr_market_63 - corr_market_252| > 0.3
--   vix_change_lag1   the previous trading day's VIX log change: a lead-lag term
WITH market AS (
    SELECT date, avg(log_return) AS market_return
    FROM daily_features
    WHERE date < $end AND date >= $start::DATE - INTERVAL 400 DAY
    GROUP BY date
),
rolled AS (
    SELECT f.symbol, f.date,
           CASE WHEN count(f.log_return) OVER w63 = 63 THEN corr(f.log_return, m.market_return) OVER w63 END
               AS corr_market_63,
           CASE WHEN count(f.log_return) OVER w252 = 252 THEN corr(f.log_return, m.market_return) OVER w252 END
               AS corr_market_252,
           lag(f.vix_change) OVER (PARTITION BY f.symbol ORDER BY f.date) AS vix_change_lag1
    FROM daily_features AS f
    JOIN market AS m USING (date)
    WHERE f.date < $end AND f.date >= $start::DATE - INTERVAL 400 DAY
    WINDOW w63 AS (PARTITION BY f.symbol ORDER BY f.date ROWS BETWEEN 62 PRECEDING AND CURRENT ROW),
           w252 AS (PARTITION BY f.symbol ORDER BY f.date ROWS BETWEEN 251 PRECEDING AND CURRENT ROW)
)
SELECT r.symbol, r.date,
       (q.ask - q.bid) / ((q.ask + q.bid) / 2) * 1e4 AS spread_bps,
       ((q.bid * q.ask_size + q.ask * q.bid_size) / (q.bid_size + q.ask_size) / ((q.ask + q.bid) / 2) - 1) * 1e4
           AS microprice_bps,
       (q.buy_volume - q.sell_volume) / nullif(q.buy_volume + q.sell_volume, 0) AS ofi,
       ln(q.bid_size + q.ask_size) - ln((q.ask - q.bid) / ((q.ask + q.bid) / 2) * 1e4) AS liquidity_score,
       r.corr_market_63, r.corr_market_252,
       abs(r.corr_market_63 - r.corr_market_252) > 0.3 AS corr_breakout,
       r.vix_change_lag1
FROM rolled AS r
LEFT JOIN quote_summaries AS q USING (symbol, date)
WHERE r.date >= $start
ORDER BY r.symbol, r.date
