-- Option-implied features per symbol and day with dates in [$start, $end), from option_quotes with an implied
-- volatility (iv_flag = 'ok'); all known at the day's close. k = ln(K/F); a quote is out of the money when it is a
-- call with k > 0 or a put with k <= 0.
--   atm_iv (per expiry)  implied vol of the out-of-the-money quote nearest the forward (smallest |k|)
--   atm_var_30d          30-day ATM implied variance, interpolated linearly in total variance w = iv^2 T between
--                        the expiries around T30 = 30/365 (beyond them: the nearest expiry's variance, flat)
--   atm_iv_30d           its square root
--   term_slope           (atm_iv of the longest expiry - of the shortest) / (their maturity difference), per year
--   rr25, bf25           on the expiry nearest T30: iv(call of delta nearest 0.25) - iv(put of delta nearest
--                        -0.25), and their mean less that expiry's atm_iv
--   vrp                  atm_var_30d - 252 * sq_return_m (the trailing 22-day close-to-close variance, annualised)
--   n_quotes, n_atm, n_otm, n_itm
--                        quotes with a volatility; of them |k| < 0.05, out of and in the money beyond that
--   vega_size, gamma_size   sum of vega and of gamma times quoted size (bid_size + ask_size): where the book is
WITH q AS (
    SELECT symbol, date, expiry, maturity, option_type, implied_vol AS iv, delta, vega, gamma,
           bid_size + ask_size AS size, ln(strike / forward) AS k
    FROM option_quotes
    WHERE iv_flag = 'ok' AND date >= $start AND date < $end
),
atm AS (
    SELECT symbol, date, expiry, any_value(maturity) AS maturity, arg_min(iv, abs(k)) AS iv
    FROM q
    WHERE (option_type = 'C' AND k > 0) OR (option_type = 'P' AND k <= 0)
    GROUP BY symbol, date, expiry
),
term AS (
    SELECT symbol, date,
           max(maturity) FILTER (WHERE maturity <= $t30) AS t_lo,
           arg_max(iv * iv * maturity, maturity) FILTER (WHERE maturity <= $t30) AS w_lo,
           min(maturity) FILTER (WHERE maturity >= $t30) AS t_hi,
           arg_min(iv * iv * maturity, maturity) FILTER (WHERE maturity >= $t30) AS w_hi,
           min(maturity) AS t_short, arg_min(iv, maturity) AS iv_short,
           max(maturity) AS t_long, arg_max(iv, maturity) AS iv_long,
           arg_min(expiry, abs(maturity - $t30)) AS near_expiry,
           arg_min(iv, abs(maturity - $t30)) AS near_atm_iv
    FROM atm
    GROUP BY symbol, date
),
wings AS (
    SELECT q.symbol, q.date,
           arg_min(q.iv, abs(q.delta - 0.25)) FILTER (WHERE q.option_type = 'C') AS iv_c25,
           arg_min(q.iv, abs(q.delta + 0.25)) FILTER (WHERE q.option_type = 'P') AS iv_p25
    FROM q
    JOIN term AS t ON t.symbol = q.symbol AND t.date = q.date AND t.near_expiry = q.expiry
    GROUP BY q.symbol, q.date
),
book AS (
    SELECT symbol, date, count(*) AS n_quotes,
           count(*) FILTER (WHERE abs(k) < 0.05) AS n_atm,
           count(*) FILTER (WHERE abs(k) >= 0.05
                            AND ((option_type = 'C' AND k > 0) OR (option_type = 'P' AND k <= 0))) AS n_otm,
           count(*) FILTER (WHERE abs(k) >= 0.05
                            AND NOT ((option_type = 'C' AND k > 0) OR (option_type = 'P' AND k <= 0))) AS n_itm,
           sum(vega * size) AS vega_size, sum(gamma * size) AS gamma_size
    FROM q
    GROUP BY symbol, date
),
variance AS (
    SELECT symbol, date,
           CASE
               WHEN t_lo IS NULL THEN w_hi / t_hi
               WHEN t_hi IS NULL OR t_hi = t_lo THEN w_lo / t_lo
               ELSE (w_lo + (w_hi - w_lo) * ($t30 - t_lo) / (t_hi - t_lo)) / $t30
           END AS atm_var_30d,
           CASE WHEN t_long > t_short THEN (iv_long - iv_short) / (t_long - t_short) END AS term_slope,
           near_atm_iv
    FROM term
)
SELECT v.symbol, v.date, v.atm_var_30d, sqrt(v.atm_var_30d) AS atm_iv_30d, v.term_slope,
       w.iv_c25 - w.iv_p25 AS rr25, (w.iv_c25 + w.iv_p25) / 2 - v.near_atm_iv AS bf25,
       v.atm_var_30d - 252 * f.sq_return_m AS vrp,
       b.n_quotes, b.n_atm, b.n_otm, b.n_itm, b.vega_size, b.gamma_size
FROM variance AS v
JOIN book AS b USING (symbol, date)
LEFT JOIN wings AS w USING (symbol, date)
LEFT JOIN daily_features AS f USING (symbol, date)
ORDER BY v.symbol, v.date
