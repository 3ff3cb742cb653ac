-- Rows of option_quotes in [$start, $end) breaking an invariant of a validated, priced quote, per kind of defect.
SELECT
    count(*) FILTER (WHERE NOT (isfinite(strike) AND isfinite(bid) AND isfinite(ask) AND isfinite(mid)
                                AND isfinite(maturity) AND isfinite(forward))) AS non_finite_values,
    count(*) FILTER (WHERE bid >= ask OR bid < 0) AS crossed_or_zero_width,
    count(*) FILTER (WHERE expiry <= date OR maturity <= 0) AS expired,
    count(*) FILTER (WHERE iv_flag = 'ok' AND NOT (implied_vol > 0 AND isfinite(implied_vol))) AS ok_without_vol,
    count(*) FILTER (WHERE iv_flag <> 'ok' AND implied_vol IS NOT NULL) AS flagged_with_vol
FROM option_quotes
WHERE date >= $start AND date < $end
