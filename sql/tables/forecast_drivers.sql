-- What drove each champion forecast published on a live day (forge_core.explain.drivers): per symbol and target,
-- the top features by absolute SHAP contribution to the log-variance forecast, signed, with the feature's value,
-- the base value and the explained log forecast (base + all contributions = output). One partition per as_of.
CREATE TABLE IF NOT EXISTS forecast_drivers (
    symbol         VARCHAR   NOT NULL,
    as_of          DATE      NOT NULL,
    target         VARCHAR   NOT NULL,
    model          VARCHAR   NOT NULL,
    model_version  INTEGER   NOT NULL,
    rank           INTEGER   NOT NULL,
    feature        VARCHAR   NOT NULL,
    value          DOUBLE,
    contribution   DOUBLE    NOT NULL,
    base           DOUBLE    NOT NULL,
    output         DOUBLE    NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
