-- Per variance proxy column (daily, 5-row and 22-row means): negative values in [$start, $end).
SELECT coalesce(sum((COLUMNS('^(parkinson|garman_klass|rogers_satchell|yang_zhang|sq_return)_[dwm]$') < 0)::INTEGER), 0)
FROM daily_features
WHERE date >= $start AND date < $end
