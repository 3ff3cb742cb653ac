-- The fans the live sets of the one-day target imply from a day's close (forge_core.paths.set_paths): per symbol,
-- model and simulated day (1 = the next trading day), quantiles over 10,000 paths of the cumulative log return and
-- of the day's return variance, and their means. Published by every set that can simulate (GARCH families from
-- their saved state, log-HAR by filtered historical simulation), under its role. One partition per as_of.
CREATE TABLE IF NOT EXISTS forecast_paths (
    symbol         VARCHAR   NOT NULL,
    as_of          DATE      NOT NULL,
    target         VARCHAR   NOT NULL,
    model          VARCHAR   NOT NULL,
    role           VARCHAR   NOT NULL,
    model_version  INTEGER   NOT NULL,
    quantity       VARCHAR   NOT NULL CHECK (quantity IN ('cumulative_return', 'variance')),
    day            INTEGER   NOT NULL CHECK (day >= 1),
    /*quantile_columns_ddl*/,
    mean           DOUBLE    NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
