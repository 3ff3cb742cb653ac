-- Filtered regime probabilities of the Markov-switching model (forge_core.regimes): per symbol and day of a
-- walk-forward window, the probability of each regime (0 = the calmest) given the days up to it, from the model
-- fitted on the days before the window. One partition per window.
CREATE TABLE IF NOT EXISTS regimes (
    symbol        VARCHAR   NOT NULL,
    date          DATE      NOT NULL,
    window_start  DATE      NOT NULL,
    regimes       INTEGER   NOT NULL,
    regime        INTEGER   NOT NULL,
    probability   DOUBLE    NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
