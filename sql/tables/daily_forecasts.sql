-- Forecasts published at the close of `as_of` for the mean variance over the next h trading days, by every live
-- fitted set of the target (the registry version `model_version` of `volatilityforge-<target>`, logged in MLflow run
-- `run_id`): the champion, the challenger and the shadows (`role`), with quantiles and the calibrated bounds of each
-- central interval (lower_50 ... upper_95). `forecast` is the published point: the model's `raw_forecast` corrected
-- for the bias its out-of-sample scores support; `skewed` flags a point outside its 50% band (a distribution whose mean
-- passes a quartile). A daily_forecasts partition (as_of) owns its rows for every target.
CREATE TABLE IF NOT EXISTS daily_forecasts (
    symbol        VARCHAR   NOT NULL,
    as_of         DATE      NOT NULL,
    target        VARCHAR   NOT NULL,
    model         VARCHAR   NOT NULL,
    role          VARCHAR   NOT NULL,
    model_version INTEGER   NOT NULL,
    run_id        VARCHAR   NOT NULL,
    fitted_as_of  DATE      NOT NULL,
    fitted_qlike  DOUBLE    NOT NULL,  -- the set's mean out-of-sample QLIKE when fitted: what it is held to
    forecast      DOUBLE    NOT NULL,
    raw_forecast  DOUBLE    NOT NULL,
    skewed        BOOLEAN   NOT NULL,
    /*quantile_columns_ddl*/,  -- q05 ... q95: forge_core.quantiles.QUANTILE_LEVELS
    /*bound_columns_ddl*/,     -- lower_50, upper_50, ...: forge_core.quantiles.INTERVAL_LEVELS
    created_at    TIMESTAMP NOT NULL
);
-- Warehouses made before the point correction: their rows published the raw forecast (NULL: not recorded).
ALTER TABLE daily_forecasts ADD COLUMN IF NOT EXISTS raw_forecast DOUBLE;
ALTER TABLE daily_forecasts ADD COLUMN IF NOT EXISTS skewed BOOLEAN;
