"""Scores added to fit runs after the fact: once a range of walk-forward windows has its intervals calibrated, each
fit's run (``fits.log_fit``: one per model x target x symbol x window) gets the window's scores that needed every
model and the bands (``evaluation.run_scores.window_run_scores``) as metrics of the existing run.

One search of the target's experiment (in pages) finds the range's runs; then one ``log_batch`` per run. Every call
rides out a restart of the store (``store_retry.retrying``).
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from mlflow import MlflowClient
from mlflow.entities import Metric, Run, RunTag

from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.fits import TAG_PREFIX, experiment_name, tracking_client
from forge_core.tracking.store_retry import retrying

SEARCH_PAGE = 10_000  # runs per page of a search (the SQL store allows up to 50,000)
FitKey = tuple[str, str, dt.date]  # model, symbol, window start


def log_window_scores(
    config: TrackingConfig, target: str, scores: pd.DataFrame, tags: Mapping[str, str] | None = None
) -> int:
    """Log each row of ``scores`` (indexed by ``model, symbol, window_start``, one column per metric; NaN: none)
    as step-0 metrics, with ``tags`` as ``forge.*`` tags, on the fit run of ``target``'s experiment it belongs to
    (the latest, where a window was fitted again); a row without a run (an ensemble, a model not tracked) is
    skipped. Returns the number of runs updated."""
    if scores.empty:
        return 0
    client, store = tracking_client(config), config.tracking_uri
    name = experiment_name(target)
    experiment = retrying(
        lambda: client.get_experiment_by_name(name), what=f"finding experiment {name}", store=store
    )
    if experiment is None:
        return 0
    starts = sorted({start for _, _, start in scores.index})
    runs = fit_runs(client, store, experiment.experiment_id, starts)
    now = int(time.time() * 1000)  # one timestamp: a batch repeated after a lost reply stores nothing twice
    run_tags = [RunTag(f"{TAG_PREFIX}{key}", str(value)) for key, value in (tags or {}).items()]
    updated = 0
    for key, row in zip(scores.index.tolist(), scores.to_dict("records"), strict=True):
        run_id = runs.get(tuple(key))
        metrics = [
            Metric(str(metric), float(value), now, 0) for metric, value in row.items() if pd.notna(value)
        ]
        if run_id is None or not metrics:
            continue
        retrying(
            functools.partial(client.log_batch, run_id, metrics=metrics, tags=run_tags),
            what=f"logging the window scores of run {run_id}",
            store=store,
        )
        updated += 1
    return updated


def fit_runs(
    client: MlflowClient, store: str, experiment_id: str, starts: Sequence[dt.date]
) -> dict[FitKey, str]:
    """The run id of the latest finished fit of each (model, symbol, window start) of windows ``starts``: one
    search for the runs whose window starts with the ISO dates' common prefix (``=`` for a single window), then
    kept by their tags. A run carries its model in ``forge.model`` (a family's feature variant by its name), or,
    logged before that tag, its family in ``forge.family``."""
    first, last = min(starts).isoformat(), max(starts).isoformat()
    shared = next((i for i, (a, b) in enumerate(zip(first, last, strict=True)) if a != b), len(first))
    window = f"= '{first}'" if first == last else f"LIKE '{first[:shared]}%'"
    query = f"attributes.status = 'FINISHED' AND tags.`{TAG_PREFIX}window_start` {window}"
    wanted, found = set(starts), dict[FitKey, str]()
    for run in _search(client, store, experiment_id, query):
        key = _fit_key(run)
        if key is not None and key[2] in wanted:
            found.setdefault(key, run.info.run_id)  # newest first
    return found


def _search(client: MlflowClient, store: str, experiment_id: str, query: str) -> Iterable[Run]:
    """Every run of the experiment matching ``query``, newest first, page by page."""
    token: str | None = None
    while True:
        page = retrying(
            functools.partial(
                client.search_runs,
                [experiment_id],
                query,
                max_results=SEARCH_PAGE,
                order_by=["attributes.start_time DESC"],
                page_token=token,
            ),
            what=f"finding the fit runs of experiment {experiment_id}",
            store=store,
        )
        yield from page
        token = page.token
        if not token:
            return


def _fit_key(run: Run) -> FitKey | None:
    """The (model, symbol, window start) a fit run's tags name; None for a run that is not a fit."""
    tags = run.data.tags
    model = tags.get(f"{TAG_PREFIX}model") or tags.get(f"{TAG_PREFIX}family")
    symbol, start = tags.get(f"{TAG_PREFIX}symbol"), tags.get(f"{TAG_PREFIX}window_start")
    if not (model and symbol and start):
        return None
    return model, symbol, dt.date.fromisoformat(start)
