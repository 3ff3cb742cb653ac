-- The Markov-switching model of each symbol and walk-forward window (forge_core.regimes): fitted on the days before
-- the window (from fit_start), its parameters as JSON (means, variances, ar, transition; regime 0 the calmest).
-- Written with the window's `regimes` rows; a live day of a window that has not completed reuses it.
CREATE TABLE IF NOT EXISTS regime_models (
    symbol        VARCHAR   NOT NULL,
    window_start  DATE      NOT NULL,
    regimes       INTEGER   NOT NULL,
    proxy         VARCHAR   NOT NULL,
    fit_start     DATE      NOT NULL,
    params        VARCHAR   NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
