-- Tuned hyperparameters per model family and target: the best Optuna trial, scored on walk-forward windows that
-- all ended on or before `tuned_before`. Forecasts use them only for windows starting on or after that day, so no
-- window is ever forecast with parameters chosen on its own (or later) data.
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
