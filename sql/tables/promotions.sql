-- Every champion/challenger decision, every rollback and every fallback, appended (never replaced): on
-- `decided_on`, for `target`, `action` (promoted, kept, rolled_back, fallback) between the versions of
-- volatilityforge-<target>, with the statistics of the shadow days compared (NULL for a rollback or a fallback) and
-- why. A fallback (the daily job's opt-in `fallback_to_previous_champion`): `champion_version` published in the
-- champion role in the place of `challenger_version`, the champion whose set could not be loaded, over the days
-- `first_day` .. `last_day`.
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
