-- Per feature column: values in [$start, $end) that are NaN or infinite (NULL, an incomplete window, is allowed).
SELECT coalesce(sum((NOT isfinite(COLUMNS(* EXCLUDE (symbol, date))))::INTEGER), 0)
FROM daily_features
WHERE date >= $start AND date < $end
