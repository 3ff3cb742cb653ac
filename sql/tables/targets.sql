-- Forecast targets: value = mean of the target's daily variance proxy over the symbol's next `horizon`
-- trading rows (t+1 .. t+h). `realised_on` is the date of row t+h: the day the value became known.
-- A daily partition owns the rows realised on its dates, so a row exists only once its window is complete.
-- (symbol, date, target) is unique without an index, as for daily_features; the quality check counts duplicates.
CREATE TABLE IF NOT EXISTS targets (
    symbol      VARCHAR NOT NULL,
    date        DATE    NOT NULL,
    target      VARCHAR NOT NULL,
    horizon     INTEGER NOT NULL,
    proxy       VARCHAR NOT NULL,
    value       DOUBLE  NOT NULL,
    realised_on DATE    NOT NULL
);
