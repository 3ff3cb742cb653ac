-- Daily closing quote and trade summaries per symbol (forge_core.options.quote_validation): bid, ask, their sizes,
-- and the day's buyer- and seller-initiated volume. One partition per date range.
CREATE TABLE IF NOT EXISTS quote_summaries (
    symbol       VARCHAR   NOT NULL,
    date         DATE      NOT NULL,
    bid          DOUBLE    NOT NULL,
    ask          DOUBLE    NOT NULL,
    bid_size     DOUBLE    NOT NULL,
    ask_size     DOUBLE    NOT NULL,
    buy_volume   DOUBLE    NOT NULL,
    sell_volume  DOUBLE    NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
