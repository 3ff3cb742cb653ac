-- How every forecast partition was made: one row per symbol, target, model and walk-forward window, written in the
-- same transaction as that window's forecasts: the rows trained on, the training scheme, the fitted parameters
-- (JSON of the model's params()) and the code version.
CREATE TABLE IF NOT EXISTS model_fits (
    symbol          VARCHAR   NOT NULL,
    target          VARCHAR   NOT NULL,
    model           VARCHAR   NOT NULL,
    window_start    DATE      NOT NULL,
    train_rows      INTEGER   NOT NULL,
    trained_through DATE      NOT NULL,
    scheme          VARCHAR   NOT NULL,
    params          VARCHAR   NOT NULL,
    fit_seconds     DOUBLE    NOT NULL,
    code_version    VARCHAR   NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
