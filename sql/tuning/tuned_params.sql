-- The parameters of one family and target tuned most recently on data before $window_start (each tuning is kept,
-- keyed by its cut-off, so a window always gets the latest tuning it may see).
SELECT params, tuned_before, study_name
FROM hyperparameters
WHERE family = $family AND target = $target AND tuned_before <= $window_start
ORDER BY tuned_before DESC
LIMIT 1
