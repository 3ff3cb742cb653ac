-- End-of-day option quotes (forge_core.options): the validated quote, its mid, maturity in years, forward, the
-- Black-Scholes-Merton implied volatility of the mid (NULL where iv_flag says why there is none: bad_input,
-- below_intrinsic, above_bound, no_time_value, not_converged) and Black greeks. One partition per date range.
CREATE TABLE IF NOT EXISTS option_quotes (
    symbol            VARCHAR   NOT NULL,
    date              DATE      NOT NULL,
    expiry            DATE      NOT NULL,
    strike            DOUBLE    NOT NULL CHECK (strike > 0),
    option_type       VARCHAR   NOT NULL CHECK (option_type IN ('C', 'P')),
    bid               DOUBLE    NOT NULL,
    ask               DOUBLE    NOT NULL,
    bid_size          DOUBLE    NOT NULL,
    ask_size          DOUBLE    NOT NULL,
    underlying_price  DOUBLE    NOT NULL,
    rate              DOUBLE    NOT NULL,
    dividend_yield    DOUBLE    NOT NULL,
    mid               DOUBLE    NOT NULL,
    maturity          DOUBLE    NOT NULL,
    forward           DOUBLE    NOT NULL,
    implied_vol       DOUBLE,
    iv_flag           VARCHAR   NOT NULL,
    delta             DOUBLE,
    vega              DOUBLE,
    gamma             DOUBLE,
    created_at        TIMESTAMP NOT NULL
);
