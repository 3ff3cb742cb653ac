-- Daily OHLCV bars exactly as the market data source delivered them (after validation).
-- One row per (symbol, trading day); a daily partition owns every symbol's rows of its dates.
CREATE TABLE IF NOT EXISTS raw_prices (
    symbol    VARCHAR NOT NULL,
    date      DATE    NOT NULL,
    open      DOUBLE  NOT NULL,
    high      DOUBLE  NOT NULL,
    low       DOUBLE  NOT NULL,
    close     DOUBLE  NOT NULL,
    adj_close DOUBLE,
    volume    DOUBLE  NOT NULL,
    PRIMARY KEY (symbol, date)
);
