-- Every champion/challenger decision and every rollback, appended (never replaced): on `decided_on`, for `target`,
-- `action` (promoted, kept, rolled_back) between the versions of volatilityforge-<target>, with the statistics of
-- the shadow days compared (NULL for a rollback) and why.
CREATE TABLE IF NOT EXISTS promotions (
    decided_on              DATE      NOT NULL,
    target                  VARCHAR   NOT NULL,
    action                  VARCHAR   NOT NULL,
    champion_version        INTEGER,
    challenger_version      INTEGER,
    champion_model          VARCHAR,
    challenger_model        VARCHAR,
    reason                  VARCHAR   NOT NULL,
    days                    INTEGER,
    first_day               DATE,
    last_day                DATE,
    champion_qlike          DOUBLE,
    challenger_qlike        DOUBLE,
    dm_statistic            DOUBLE,
    dm_p_value              DOUBLE,
    challenger_mcs_p_value  DOUBLE,
    run_id                  VARCHAR   NOT NULL,
    created_at              TIMESTAMP NOT NULL
);
