-- The tuned parameters of one family and target, if they were tuned on data before $window_start.
SELECT params, tuned_before, study_name
FROM hyperparameters
WHERE family = $family AND target = $target AND tuned_before <= $window_start
