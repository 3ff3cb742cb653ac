-- Rows of quote_summaries in [$start, $end) breaking an invariant of a closing quote summary.
SELECT
    count(*) FILTER (WHERE NOT (isfinite(bid) AND isfinite(ask) AND isfinite(bid_size) AND isfinite(ask_size)
                                AND isfinite(buy_volume) AND isfinite(sell_volume))) AS non_finite_values,
    count(*) FILTER (WHERE bid <= 0 OR bid >= ask) AS non_positive_or_crossed,
    count(*) FILTER (WHERE least(bid_size, ask_size, buy_volume, sell_volume) < 0) AS negative_sizes
FROM quote_summaries
WHERE date >= $start AND date < $end
