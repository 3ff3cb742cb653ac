-- Global SHAP importance of each live family set's inputs (forge_core.explain.global_importance): per target and
-- family, the mean absolute contribution of each feature to the log-variance forecast over the explained rows of
-- the explained symbols, its rank, the explainer and the largest additivity gap |base + contributions - output|
-- (0 up to rounding for the exact explainers). One partition per target, replaced at every retraining.
CREATE TABLE IF NOT EXISTS feature_importance (
    target          VARCHAR   NOT NULL,
    model           VARCHAR   NOT NULL,
    model_version   INTEGER   NOT NULL,
    fitted_as_of    DATE      NOT NULL,
    method          VARCHAR   NOT NULL,
    feature         VARCHAR   NOT NULL,
    mean_abs        DOUBLE    NOT NULL CHECK (mean_abs >= 0),
    rank            INTEGER   NOT NULL,
    additivity_gap  DOUBLE    NOT NULL,
    symbols         INTEGER   NOT NULL,
    rows_explained  INTEGER   NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
