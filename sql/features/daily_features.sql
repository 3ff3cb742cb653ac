-- Daily features for the traded symbols with dates in [$start, $end).
-- Each symbol also reads its last $lookback_rows rows before $start, the longest window below, so a
-- partition computed alone equals the same rows of a full rebuild.
-- Variance proxies of day t (o = open, h = high, l = low, c = close, c' = previous close):
--   parkinson       = ln(h/l)^2 / (4 ln 2)
--   garman_klass    = 0.5 ln(h/l)^2 - (2 ln 2 - 1) ln(c/o)^2
--   rogers_satchell = ln(h/c) ln(h/o) + ln(l/c) ln(l/o)
--   yang_zhang      = ln(o/c')^2 + k ln(c/o)^2 + (1 - k) rogers_satchell, k = 0.34 / (1.34 + (n+1)/(n-1)), n = 22
--                     (its 22-row mean is the zero-drift Yang-Zhang estimator over a month)
--   sq_return       = ln(c/c')^2
-- A window mean is NULL until the symbol has enough bars: bar_number >= n for proxies defined from a symbol's
-- first bar (range-based ones, volume), >= n + 1 for those that need the previous close. raw_prices columns are
-- NOT NULL, so this equals "the window holds n values", and the look-back makes it exact per partition.
-- Logs of proxies and of their means are floored at $variance_floor (a zero range has no logarithm).
-- Needs the macros of features/macros.sql on the connection.
WITH lookback_start AS (
    SELECT symbol, min(date) AS first_date
    FROM (
        SELECT symbol, date, row_number() OVER (PARTITION BY symbol ORDER BY date DESC) AS rows_back
        FROM raw_prices
        WHERE date < $start AND symbol NOT IN (SELECT unnest($vix_symbols))
    )
    WHERE rows_back <= $lookback_rows
    GROUP BY symbol
),
bars AS (
    SELECT p.*
    FROM raw_prices AS p
    LEFT JOIN lookback_start AS b USING (symbol)
    WHERE p.date < $end
      AND p.date >= coalesce(b.first_date, $start)
      AND p.symbol NOT IN (SELECT unnest($vix_symbols))
),
vix AS (
    SELECT date, close AS vix_level, ln(close / lag(close) OVER (ORDER BY date)) AS vix_change
    FROM raw_prices
    WHERE symbol = (SELECT min(symbol) FROM raw_prices WHERE symbol IN (SELECT unnest($vix_symbols)))
      AND date < $end
),
returns AS (
    SELECT
        symbol, date, volume,
        row_number() OVER by_day AS bar_number,
        ln(close / lag(close) OVER by_day) AS log_return,
        ln(open / lag(close) OVER by_day) AS overnight_return,
        ln(close / open) AS intraday_return,
        ln(high / low) AS log_range,
        ln(high / close) * ln(high / open) + ln(low / close) * ln(low / open) AS rogers_satchell_d
    FROM bars
    WINDOW by_day AS (PARTITION BY symbol ORDER BY date)
),
proxies AS (
    SELECT
        *,
        log_range * log_range / (4 * ln(2)) AS parkinson_d,
        0.5 * log_range * log_range - (2 * ln(2) - 1) * intraday_return * intraday_return AS garman_klass_d,
        overnight_return * overnight_return
            + (0.34 / (1.34 + 23.0 / 21.0)) * intraday_return * intraday_return
            + (1 - 0.34 / (1.34 + 23.0 / 21.0)) * rogers_satchell_d AS yang_zhang_d,
        log_return * log_return AS sq_return_d,
        negative_part(log_return) AS neg_return_d,
        ln(1 + volume) AS log_volume
    FROM returns
),
windows AS (
    SELECT
        *,
        CASE WHEN bar_number >= 5 THEN avg(parkinson_d) OVER w5 END AS parkinson_w,
        CASE WHEN bar_number >= 22 THEN avg(parkinson_d) OVER w22 END AS parkinson_m,
        CASE WHEN bar_number >= 5 THEN avg(garman_klass_d) OVER w5 END AS garman_klass_w,
        CASE WHEN bar_number >= 22 THEN avg(garman_klass_d) OVER w22 END AS garman_klass_m,
        CASE WHEN bar_number >= 5 THEN avg(rogers_satchell_d) OVER w5 END
            AS rogers_satchell_w,
        CASE WHEN bar_number >= 22 THEN avg(rogers_satchell_d) OVER w22 END
            AS rogers_satchell_m,
        CASE WHEN bar_number >= 6 THEN avg(yang_zhang_d) OVER w5 END AS yang_zhang_w,
        CASE WHEN bar_number >= 23 THEN avg(yang_zhang_d) OVER w22 END AS yang_zhang_m,
        CASE WHEN bar_number >= 6 THEN avg(sq_return_d) OVER w5 END AS sq_return_w,
        CASE WHEN bar_number >= 23 THEN avg(sq_return_d) OVER w22 END AS sq_return_m,
        CASE WHEN bar_number >= 6 THEN avg(neg_return_d) OVER w5 END AS neg_return_w,
        CASE WHEN bar_number >= 23 THEN avg(neg_return_d) OVER w22 END AS neg_return_m,
        CASE WHEN bar_number >= 63 THEN avg(log_volume) OVER w63 END AS log_volume_mean,
        CASE WHEN bar_number >= 63 THEN stddev_samp(log_volume) OVER w63 END AS log_volume_sd
    FROM proxies
    WINDOW
        w5 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 4 PRECEDING AND CURRENT ROW),
        w22 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 21 PRECEDING AND CURRENT ROW),
        w63 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 62 PRECEDING AND CURRENT ROW)
)
SELECT
    w.symbol, w.date,
    w.log_return, w.overnight_return, w.intraday_return, w.log_range,
    w.parkinson_d, w.parkinson_w, w.parkinson_m,
    floored_log(w.parkinson_d, $variance_floor) AS log_parkinson_d,
    floored_log(w.parkinson_w, $variance_floor) AS log_parkinson_w,
    floored_log(w.parkinson_m, $variance_floor) AS log_parkinson_m,
    w.garman_klass_d, w.garman_klass_w, w.garman_klass_m,
    floored_log(w.garman_klass_d, $variance_floor) AS log_garman_klass_d,
    floored_log(w.garman_klass_w, $variance_floor) AS log_garman_klass_w,
    floored_log(w.garman_klass_m, $variance_floor) AS log_garman_klass_m,
    w.rogers_satchell_d, w.rogers_satchell_w, w.rogers_satchell_m,
    floored_log(w.rogers_satchell_d, $variance_floor) AS log_rogers_satchell_d,
    floored_log(w.rogers_satchell_w, $variance_floor) AS log_rogers_satchell_w,
    floored_log(w.rogers_satchell_m, $variance_floor) AS log_rogers_satchell_m,
    w.yang_zhang_d, w.yang_zhang_w, w.yang_zhang_m,
    floored_log(w.yang_zhang_d, $variance_floor) AS log_yang_zhang_d,
    floored_log(w.yang_zhang_w, $variance_floor) AS log_yang_zhang_w,
    floored_log(w.yang_zhang_m, $variance_floor) AS log_yang_zhang_m,
    w.sq_return_d, w.sq_return_w, w.sq_return_m,
    floored_log(w.sq_return_d, $variance_floor) AS log_sq_return_d,
    floored_log(w.sq_return_w, $variance_floor) AS log_sq_return_w,
    floored_log(w.sq_return_m, $variance_floor) AS log_sq_return_m,
    w.neg_return_d, w.neg_return_w, w.neg_return_m,
    CASE WHEN w.log_volume_sd > $min_volume_sd
        THEN (w.log_volume - w.log_volume_mean) / w.log_volume_sd END AS volume_z,
    v.vix_level, v.vix_change
FROM windows AS w
LEFT JOIN vix AS v USING (date)
WHERE w.date >= $start AND w.log_return IS NOT NULL
