-- The weight each ensemble gave each member on each day it forecast: one ensemble partition (target, model,
-- window_start) owns its rows and replaces them in the same transaction as its forecasts. A day's weights were
-- learnt only from member forecasts whose targets had realised by that day's close.
CREATE TABLE IF NOT EXISTS ensemble_weights (
    symbol       VARCHAR   NOT NULL,
    date         DATE      NOT NULL,
    target       VARCHAR   NOT NULL,
    model        VARCHAR   NOT NULL,  -- the ensemble, e.g. ensemble_stacking
    member       VARCHAR   NOT NULL,
    weight       DOUBLE    NOT NULL,
    window_start DATE      NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
