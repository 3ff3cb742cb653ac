-- Volatility targeting with every model's one-day walk-forward forecasts, beside buy-and-hold on the same days
-- (forge_core.risk.vol_targeting): annualised return and volatility, Sharpe, maximum drawdown, tracking error of
-- the realised volatility against the target, turnover, and the Sharpe difference to HAR-targeting. Replaced whole
-- per target.
CREATE TABLE IF NOT EXISTS strategy_backtests (
    target              VARCHAR   NOT NULL,
    symbol              VARCHAR   NOT NULL,
    strategy            VARCHAR   NOT NULL,
    first_day           DATE      NOT NULL,
    last_day            DATE      NOT NULL,
    annual_return       DOUBLE    NOT NULL,
    annual_volatility   DOUBLE    NOT NULL,
    sharpe              DOUBLE,
    max_drawdown        DOUBLE    NOT NULL,
    vol_tracking_error  DOUBLE,
    turnover            DOUBLE    NOT NULL,
    sharpe_minus_har    DOUBLE,
    target_volatility   DOUBLE    NOT NULL,
    leverage_cap        DOUBLE    NOT NULL,
    created_at          TIMESTAMP NOT NULL
);
