-- Microstructure and cross-asset features per traded symbol and day (features/market_features.sql has the
-- definitions): closing spread, size-weighted mid, order-flow imbalance, liquidity score, rolling correlation with
-- the market factor and its breakouts, yesterday's VIX change. One partition per date range.
CREATE TABLE IF NOT EXISTS market_features (
    symbol            VARCHAR NOT NULL,
    date              DATE    NOT NULL,
    spread_bps        DOUBLE,
    microprice_bps    DOUBLE,
    ofi               DOUBLE,
    liquidity_score   DOUBLE,
    corr_market_63    DOUBLE,
    corr_market_252   DOUBLE,
    corr_breakout     BOOLEAN,
    vix_change_lag1   DOUBLE
);
