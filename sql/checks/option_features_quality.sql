-- Rows of option_features in [$start, $end) that cannot be right.
SELECT
    count(*) FILTER (WHERE NOT (isfinite(atm_var_30d) AND atm_var_30d > 0)) AS non_positive_atm_variance,
    count(*) FILTER (WHERE n_quotes <= 0 OR n_atm + n_otm + n_itm <> n_quotes) AS inconsistent_counts,
    count(*) FILTER (WHERE vega_size < 0 OR gamma_size < 0) AS negative_book
FROM option_features
WHERE date >= $start AND date < $end
