-- One Evidently drift report per live day: the share of drifted columns (features and the champion's log
-- forecasts, each standardised per symbol) between the current days and the reference (the champion's most recent
-- training days), the drifted columns, whether the persistent alarm is on, and the report's HTML file.
CREATE TABLE IF NOT EXISTS drift_reports (
    day              DATE      NOT NULL,
    drift_share      DOUBLE    NOT NULL,
    drifted_columns  VARCHAR   NOT NULL,  -- JSON list
    alarm            BOOLEAN   NOT NULL,
    reference_start  DATE      NOT NULL,
    reference_end    DATE      NOT NULL,
    current_start    DATE      NOT NULL,
    current_end      DATE      NOT NULL,
    report           VARCHAR   NOT NULL,
    created_at       TIMESTAMP NOT NULL
);
