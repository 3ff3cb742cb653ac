-- Out-of-sample variance forecasts of every model. A row is made at the close of `date` (day t) for the target's
-- window t+1..t+h, by a model fitted for the walk-forward window starting `window_start` on rows whose targets were
-- all realised before window_start (`trained_through` is the last of them: the purge is auditable).
-- A model partition (target x window) of a model family owns the rows with its (target, model, window_start).
CREATE TABLE IF NOT EXISTS forecasts (
    symbol          VARCHAR   NOT NULL,
    date            DATE      NOT NULL,
    target          VARCHAR   NOT NULL,
    model           VARCHAR   NOT NULL,
    window_start    DATE      NOT NULL,
    forecast        DOUBLE    NOT NULL,
    /*quantile_columns_ddl*/,  -- q05 ... q95: forge_core.quantiles.QUANTILE_LEVELS
    train_rows      INTEGER   NOT NULL,
    trained_through DATE      NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
