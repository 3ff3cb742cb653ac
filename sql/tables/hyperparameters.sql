-- Tuned hyperparameters per model family, target and cut-off: the best Optuna trial, scored on walk-forward windows
-- that all ended on or before `tuned_before`. A window uses the latest tuning whose cut-off is on or before its
-- start, so no window is ever forecast with parameters chosen on its own (or later) data.
CREATE TABLE IF NOT EXISTS hyperparameters (
    family       VARCHAR   NOT NULL,
    target       VARCHAR   NOT NULL,
    params       VARCHAR   NOT NULL,
    tuned_before DATE      NOT NULL,
    best_qlike   DOUBLE    NOT NULL,
    n_trials     INTEGER   NOT NULL,
    study_name   VARCHAR   NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
