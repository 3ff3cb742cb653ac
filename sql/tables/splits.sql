-- Stock splits a source delivers beside its bars (the files source's splits.csv): on `date`, one share became
-- `ratio` shares (2 for a 2:1 split, 0.1 for a 1:10 reverse split), so the close-to-open move of that day is
-- divided by the ratio. Features apply it to the returns of symbols whose bars carry no adj_close; a daily
-- partition owns the splits of its dates, like raw_prices.
CREATE TABLE IF NOT EXISTS splits (
    symbol VARCHAR NOT NULL,
    date   DATE    NOT NULL,
    ratio  DOUBLE  NOT NULL,
    PRIMARY KEY (symbol, date)
);
