-- The risk backtest of every model's one-day walk-forward forecasts (forge_core.risk.risk_report): per symbol,
-- model, method (t, fhs), VaR tail and period (a year or 'all'), the violations against the expected number,
-- Kupiec (p_pof), Christoffersen (p_ind, p_cc) and McNeil-Frey ES p-values. Replaced whole per target.
CREATE TABLE IF NOT EXISTS risk_backtests (
    target            VARCHAR   NOT NULL,
    symbol            VARCHAR   NOT NULL,
    model             VARCHAR   NOT NULL,
    method            VARCHAR   NOT NULL,
    tail              DOUBLE    NOT NULL,
    period            VARCHAR   NOT NULL,
    days              INTEGER   NOT NULL,
    violations        INTEGER   NOT NULL,
    expected          DOUBLE    NOT NULL,
    p_pof             DOUBLE    NOT NULL,
    p_ind             DOUBLE    NOT NULL,
    p_cc              DOUBLE    NOT NULL,
    es_violations     INTEGER   NOT NULL,
    es_mean_residual  DOUBLE,
    es_p_value        DOUBLE,
    created_at        TIMESTAMP NOT NULL
);
