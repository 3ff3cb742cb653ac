-- Option-implied features per symbol and day (features/option_features.sql has the definitions): 30-day ATM
-- implied variance and volatility, term-structure slope, 25-delta risk reversal and butterfly, variance risk
-- premium, quote counts by moneyness, vega and gamma of the quoted book. One partition per date range.
CREATE TABLE IF NOT EXISTS option_features (
    symbol       VARCHAR NOT NULL,
    date         DATE    NOT NULL,
    atm_var_30d  DOUBLE  NOT NULL,
    atm_iv_30d   DOUBLE  NOT NULL,
    term_slope   DOUBLE,
    rr25         DOUBLE,
    bf25         DOUBLE,
    vrp          DOUBLE,
    n_quotes     BIGINT  NOT NULL,
    n_atm        BIGINT  NOT NULL,
    n_otm        BIGINT  NOT NULL,
    n_itm        BIGINT  NOT NULL,
    vega_size    DOUBLE  NOT NULL,
    gamma_size   DOUBLE  NOT NULL
);
