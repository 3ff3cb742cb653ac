-- Every published forecast scored once its target realised: made at the close of `as_of` by a live set
-- (`model`, `role`, `model_version`), realised at the close of `realised_on` (a forecast_scores partition owns the
-- rows realised on its day). QLIKE and squared error on the variance, and whether each central interval covered.
CREATE TABLE IF NOT EXISTS forecast_scores (
    symbol        VARCHAR   NOT NULL,
    as_of         DATE      NOT NULL,
    target        VARCHAR   NOT NULL,
    model         VARCHAR   NOT NULL,
    role          VARCHAR   NOT NULL,
    model_version INTEGER   NOT NULL,
    fitted_qlike  DOUBLE    NOT NULL,
    realised_on   DATE      NOT NULL,
    realised      DOUBLE    NOT NULL,
    forecast      DOUBLE    NOT NULL,
    qlike         DOUBLE    NOT NULL,
    squared_error DOUBLE    NOT NULL,
    /*covered_columns_ddl*/,  -- covered_50, covered_80, ...: forge_core.quantiles.INTERVAL_LEVELS
    created_at    TIMESTAMP NOT NULL
);
