-- The stored windows of one target and model: each window's inputs digest and every symbol's fitted parameters
-- (the warm start of the next window when a re-run skips this one).
SELECT w.window_start, w.inputs_digest, f.symbol, f.params
FROM window_inputs AS w
JOIN model_fits AS f USING (target, model, window_start)
WHERE w.target = $target AND w.model = $model
ORDER BY w.window_start, f.symbol
