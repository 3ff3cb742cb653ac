-- Stored target rows whose name is declared now ($names, $horizons, $proxies line up) but whose horizon or
-- proxy differ from the declaration: one row per stored definition, with its row count and realised span.
WITH declared AS (
    SELECT unnest($names::VARCHAR[]) AS target, unnest($horizons::INTEGER[]) AS horizon,
           unnest($proxies::VARCHAR[]) AS proxy
)
SELECT t.target, d.horizon AS declared_horizon, d.proxy AS declared_proxy, t.horizon, t.proxy,
       count(*) AS rows, min(t.realised_on) AS first_realised, max(t.realised_on) AS last_realised
FROM targets AS t
JOIN declared AS d USING (target)
WHERE t.horizon <> d.horizon OR t.proxy <> d.proxy
GROUP BY ALL
ORDER BY t.target, t.horizon, t.proxy
