-- Every stored prediction interval with the realised target of its day (intervals not yet realised are dropped).
SELECT iv.symbol, iv.date, iv.target, iv.model, iv.method, iv.level, iv.point, iv.skewed, iv.lower, iv.upper,
    t.value AS realised
FROM intervals AS iv
JOIN targets AS t ON t.symbol = iv.symbol AND t.date = iv.date AND t.target = iv.target
ORDER BY iv.target, iv.symbol, iv.model, iv.method, iv.level, iv.date
