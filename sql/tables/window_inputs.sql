-- What each stored forecast partition (target x model x window) was computed from: a digest of its inputs (family,
-- target definition, window, training scheme, hyperparameters, warm starts, code version and the purged panel
-- rows the window could see), written in the same transaction as the partition's forecasts and fits. A re-run of
-- a backfill skips a window whose stored digest equals the one it would compute (resuming a killed backfill).
CREATE TABLE IF NOT EXISTS window_inputs (
    target        VARCHAR   NOT NULL,
    model         VARCHAR   NOT NULL,
    window_start  DATE      NOT NULL,
    inputs_digest VARCHAR   NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
