-- Daily features for the traded symbols with dates in [$start, $end).
-- Each symbol also reads its last $lookback_rows rows before $start, the longest window below, so a
-- partition computed alone equals the same rows of a full rebuild.
-- Prices (o = open, h = high, l = low, c = close, c' = previous close) and the adjustment g of day t: with
-- adj_close on both days, g = f_t / f_{t-1} where f = adj_close / close (splits and dividends); otherwise the
-- split ratio of the day from the splits table (1 without one). Return-based quantities use adjusted prices:
--   log_return       = ln(c g / c')      (= ln(adj_close_t / adj_close_{t-1}) with adj_close)
--   overnight_return = ln(o g / c')
-- and range proxies the day's own OHLC. Variance proxies of day t:
--   parkinson       = ln(h/l)^2 / (4 ln 2)
--   garman_klass    = 0.5 ln(h/l)^2 - (2 ln 2 - 1) ln(c/o)^2
--   rogers_satchell = ln(h/c) ln(h/o) + ln(l/c) ln(l/o)
--   yang_zhang      = overnight_return^2 + k ln(c/o)^2 + (1 - k) rogers_satchell, k = 0.34 / (1.34 + (n+1)/(n-1)),
--                     n = 22 (its 22-row mean is the zero-drift Yang-Zhang estimator over a month)
--   sq_return       = log_return^2
-- Gaps: a bar more than $max_gap_weekdays weekdays after the symbol's previous bar starts a new segment. Its
-- returns (and yang_zhang, sq_return, neg_return) are NULL, not one day's move, and every window restarts there.
-- A window mean is NULL until the segment has enough bars: segment_bars >= n for proxies defined from a segment's
-- first bar (range-based ones, volume), >= n + 1 for those that need the previous close. raw_prices columns are
-- NOT NULL, so this equals "the window holds n values", and the look-back makes it exact per partition. (Means
-- over the whole symbol, masked outside the segment, cost one sort where windows per segment cost two.)
-- Window means are sums in fixed point (features/macros.sql): integer sums are exact, so a mean does not depend
-- on the order DuckDB adds a window's rows in, which follows the partition's extent; a day built alone (the live
-- close) equals the same day of a whole rebuild bit for bit. A complete window holds n values, so the mean is the
-- sum over n; the volume's standard deviation is sqrt((n S2 - S1^2) / (n (n - 1))), exact in 128-bit integers.
-- Logs of proxies and of their means are floored at $variance_floor (a zero range has no logarithm).
-- Every bar but a symbol's first gets a row. Needs the macros of features/macros.sql on the connection.
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
steps AS (
    SELECT
        b.symbol, b.date, b.open, b.high, b.low, b.close, b.volume,
        lag(b.close) OVER by_day AS previous_close,
        lag(b.date) OVER by_day AS previous_date,
        row_number() OVER by_day AS bar,
        CASE WHEN b.adj_close IS NOT NULL AND lag(b.adj_close) OVER by_day IS NOT NULL
            THEN (b.adj_close / b.close) / (lag(b.adj_close) OVER by_day / lag(b.close) OVER by_day)
            ELSE coalesce(s.ratio, 1.0) END AS adjustment
    FROM bars AS b
    LEFT JOIN splits AS s USING (symbol, date)
    WINDOW by_day AS (PARTITION BY b.symbol ORDER BY b.date)
),
returns AS (
    SELECT
        symbol, date, volume, previous_date, bar,
        weekday_number(date) - weekday_number(previous_date) - 1 > $max_gap_weekdays AS after_gap,
        CASE WHEN NOT after_gap THEN ln(close * adjustment / previous_close) END AS log_return,
        CASE WHEN NOT after_gap THEN ln(open * adjustment / previous_close) END AS overnight_return,
        ln(close / open) AS intraday_return,
        ln(high / low) AS log_range,
        ln(high / close) * ln(high / open) + ln(low / close) * ln(low / open) AS rogers_satchell_d
    FROM steps
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
        -- bars since the symbol's first bar or its last gap, that one included
        bar - coalesce(last_value(CASE WHEN after_gap THEN bar END IGNORE NULLS) OVER since_first, 1) + 1
            AS segment_bars,
        from_fixed(sum(to_fixed(parkinson_d)) OVER w5) / 5 AS parkinson_w,
        from_fixed(sum(to_fixed(parkinson_d)) OVER w22) / 22 AS parkinson_m,
        from_fixed(sum(to_fixed(garman_klass_d)) OVER w5) / 5 AS garman_klass_w,
        from_fixed(sum(to_fixed(garman_klass_d)) OVER w22) / 22 AS garman_klass_m,
        from_fixed(sum(to_fixed(rogers_satchell_d)) OVER w5) / 5 AS rogers_satchell_w,
        from_fixed(sum(to_fixed(rogers_satchell_d)) OVER w22) / 22 AS rogers_satchell_m,
        from_fixed(sum(to_fixed(yang_zhang_d)) OVER w5) / 5 AS yang_zhang_w,
        from_fixed(sum(to_fixed(yang_zhang_d)) OVER w22) / 22 AS yang_zhang_m,
        from_fixed(sum(to_fixed(sq_return_d)) OVER w5) / 5 AS sq_return_w,
        from_fixed(sum(to_fixed(sq_return_d)) OVER w22) / 22 AS sq_return_m,
        from_fixed(sum(to_fixed(neg_return_d)) OVER w5) / 5 AS neg_return_w,
        from_fixed(sum(to_fixed(neg_return_d)) OVER w22) / 22 AS neg_return_m,
        sum(to_fixed_volume(log_volume)) OVER w63 AS log_volume_sum,
        sum(to_fixed_volume(log_volume) * to_fixed_volume(log_volume)) OVER w63 AS log_volume_squares
    FROM proxies
    WINDOW
        since_first AS (PARTITION BY symbol ORDER BY date ROWS UNBOUNDED PRECEDING),
        w5 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 4 PRECEDING AND CURRENT ROW),
        w22 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 21 PRECEDING AND CURRENT ROW),
        w63 AS (PARTITION BY symbol ORDER BY date ROWS BETWEEN 62 PRECEDING AND CURRENT ROW)
),
-- a mean over the whole symbol is kept only where its window lies inside the segment (the windows restart)
complete AS (
    SELECT
        * REPLACE (
            CASE WHEN segment_bars >= 5 THEN parkinson_w END AS parkinson_w,
            CASE WHEN segment_bars >= 22 THEN parkinson_m END AS parkinson_m,
            CASE WHEN segment_bars >= 5 THEN garman_klass_w END AS garman_klass_w,
            CASE WHEN segment_bars >= 22 THEN garman_klass_m END AS garman_klass_m,
            CASE WHEN segment_bars >= 5 THEN rogers_satchell_w END AS rogers_satchell_w,
            CASE WHEN segment_bars >= 22 THEN rogers_satchell_m END AS rogers_satchell_m,
            CASE WHEN segment_bars >= 6 THEN yang_zhang_w END AS yang_zhang_w,
            CASE WHEN segment_bars >= 23 THEN yang_zhang_m END AS yang_zhang_m,
            CASE WHEN segment_bars >= 6 THEN sq_return_w END AS sq_return_w,
            CASE WHEN segment_bars >= 23 THEN sq_return_m END AS sq_return_m,
            CASE WHEN segment_bars >= 6 THEN neg_return_w END AS neg_return_w,
            CASE WHEN segment_bars >= 23 THEN neg_return_m END AS neg_return_m
        ),
        CASE WHEN segment_bars >= 63 THEN from_fixed_volume(log_volume_sum) / 63 END AS log_volume_mean,
        CASE WHEN segment_bars >= 63 THEN sqrt(from_fixed_volume_square(
            63 * log_volume_squares - log_volume_sum * log_volume_sum) / (63 * 62)) END AS log_volume_sd
    FROM windows
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
FROM complete AS w
LEFT JOIN vix AS v USING (date)
WHERE w.date >= $start AND w.previous_date IS NOT NULL
