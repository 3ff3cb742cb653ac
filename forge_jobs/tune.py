"""A small Optuna study in the loop a user sees: ``python -m forge_jobs.tune`` (``make tune``).

Materialises ``<family>_hyperparameters`` of ``--family`` (repeatable; default ``mlp`` and ``ewma``) for
``--target`` (default the first configured) in one run of ``tuning_job`` on this code location's instance (after
``make demo``, the demo's): ``--trials`` trials each (default 10), pruned by the median rule, scored on the
``--windows`` monthly windows before ``--tune-before``. The studies land in the tuning storage
(``FORGE_OPTUNA_STORAGE``, default ``FORGE_HOME/optuna/optuna.db``), their figures in the assets' metadata and
under ``FORGE_HOME/reports/tuning``; the command ends with the ``optuna-dashboard`` line that opens the storage
(the ``dashboard`` extra). Later walk-forward windows of those families forecast with the tuned parameters.
"""

from __future__ import annotations

import argparse
import sys

from dagster import AssetKey

from forge_core import settings
from forge_core.targets import configured_targets
from forge_core.tuning.spaces import tunable_families
from forge_core.tuning.study import default_storage_url
from forge_jobs.definitions import defs
from forge_jobs.instance import dagster_instance
from forge_jobs.jobs import tuning_job
from forge_jobs.launch import run_job

QUIET = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--family", action="append", default=[], help="a tunable family (default: mlp, ewma)")
    parser.add_argument("--target", default=None, help="the target (default: the first configured)")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--windows", type=int, default=3, help="monthly windows before --tune-before")
    parser.add_argument("--tune-before", default="2010-01-01")
    args = parser.parse_args(argv)
    families = args.family or ["mlp", "ewma"]
    unknown = sorted(set(families) - set(tunable_families()))
    if unknown:
        print(f"error: not tunable: {unknown}; tunable: {list(tunable_families())}", file=sys.stderr)
        return 2
    target = args.target or configured_targets()[0].name
    assets = [f"{family}_hyperparameters" for family in families]
    config = {"n_trials": args.trials, "windows": args.windows, "tune_before": args.tune_before}
    result = run_job(
        defs.resolve_job_def(tuning_job.name),
        dagster_instance(),
        partition_key=target,
        asset_selection=[AssetKey(name) for name in assets],
        run_config={**QUIET, "ops": {name: {"config": config} for name in assets}},
        raise_on_error=False,
    )
    if not result.success:
        print(
            f"error: tuning_job for {target} failed: see run {result.run_id} in the Dagster UI",
            file=sys.stderr,
        )
        return 1
    storage = settings.OPTUNA_STORAGE.text() or default_storage_url()
    for name in assets:
        materialised = result.asset_materializations_for_node(name)
        metadata = materialised[-1].metadata if materialised else {}
        study, best = metadata.get("study"), metadata.get("best_qlike")
        print(f"{name} ({target}): study {study.value if study else '?'}, best QLIKE "
              f"{best.value if best else '?'}")  # fmt: skip
    print(f"Open the studies: .venv/bin/optuna-dashboard {storage}  (then http://127.0.0.1:8080)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
