-- Conformal prediction intervals of the mean variance over t+1..t+h, per model (ensembles included), method and
-- nominal level, for the forecasts made at the close of ``date``. One intervals partition (target, window_start)
-- owns its rows; a day's interval was calibrated only on forecasts whose targets had realised by that day. `point` is
-- the forecast the method publishes (the model's, in `forecasts`, corrected for the bias its scores support); `skewed` flags a
-- point outside its 50% band.
CREATE TABLE IF NOT EXISTS intervals (
    symbol       VARCHAR   NOT NULL,
    date         DATE      NOT NULL,
    target       VARCHAR   NOT NULL,
    model        VARCHAR   NOT NULL,
    method       VARCHAR   NOT NULL,
    level        DOUBLE    NOT NULL,
    point        DOUBLE    NOT NULL,
    skewed       BOOLEAN   NOT NULL,
    lower        DOUBLE    NOT NULL,
    upper        DOUBLE    NOT NULL,
    window_start DATE      NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
-- Warehouses made before the point correction: their rows had no point (NULL).
ALTER TABLE intervals ADD COLUMN IF NOT EXISTS point DOUBLE;
ALTER TABLE intervals ADD COLUMN IF NOT EXISTS skewed BOOLEAN;
