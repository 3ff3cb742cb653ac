-- The realised values of $target dated from $start and before $end, whenever they realised (a targets row exists
-- only once realised): what scores stored forecasts after the fact; nothing that trains or calibrates reads it.
SELECT symbol, date, value AS realised
FROM targets
WHERE target = $target AND date >= $start AND date < $end
ORDER BY symbol, date
