"""The executor every job runs its steps on, chosen by ``FORGE_EXECUTOR`` (never by editing code).

Executor       Where steps run                                          Variables
in_process     one after the other in the run's own process (the        -
               default): the run worker imports the code location
               once, so a run costs its work plus one start
multiprocess   a process each, on this machine: each step starts a      -
               fresh interpreter (spawn) and imports the code location
               again (seconds per step); independent steps may overlap
celery         Celery workers (``dagster-celery worker start -A         FORGE_CELERY_BROKER (default the local Redis,
               dagster_celery.app -y deploy/celery.yaml``), through     redis://127.0.0.1:6379/0; RabbitMQ:
               a broker; the instance must be Postgres, where the       pyamqp://guest@127.0.0.1:5672//),
               workers write the step events                            FORGE_CELERY_BACKEND (default: the broker's
                                                                        Redis, or rpc:// for RabbitMQ)
k8s            a Kubernetes job per step (dagster-k8s); steps of ops    FORGE_K8S_NAMESPACE (default dagster),
               in the ``gpu`` pool on GPU nodes through their           FORGE_K8S_ENV_SECRET (default forge-secrets)
               ``dagster-k8s/config`` tags (``forge_assets.pools``)

Why in_process by default: on one machine the heavy steps are serialised by the pools anyway (``warehouse``: one
DuckDB writer; ``gpu``: one device), so separate step processes buy little overlap and cost an interpreter start
and the code location's imports per step (``benchmarks/daemon_path.py`` measures both). Spreading steps over
machines is what ``celery`` and ``k8s`` are for.

Pools hold on every executor: each claims the instance's concurrency slots (``dagster.yaml``: ``gpu`` and
``warehouse`` one slot each) before it starts a step; the in-process executor claims them the same way, one step
at a time. The broker and backend URLs reach Dagster as ``{"env": ...}`` config sources when set, so the UI shows
the variable, never a password in them.
"""

from __future__ import annotations

from typing import Any

from dagster import ExecutorDefinition, in_process_executor, multiprocess_executor

from forge_core import settings
from forge_core.settings import Setting

LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def _env_or(setting: Setting[str], default: str) -> Any:
    """A config source reading ``setting``'s variable when it is set, else ``default``."""
    return {"env": setting.name} if setting.text() else default


def celery_config() -> dict[str, Any]:
    """The Celery executor's config: broker and backend from the environment, the local Redis by default."""
    broker = settings.CELERY_BROKER.value() or LOCAL_REDIS
    backend_default = broker if broker.startswith("redis") else "rpc://"
    return {
        "broker": _env_or(settings.CELERY_BROKER, LOCAL_REDIS),
        "backend": _env_or(settings.CELERY_BACKEND, backend_default),
        # one step at a time per worker process, acknowledged when done: a worker that dies gives its step back
        "config_source": {"worker_prefetch_multiplier": 1, "task_acks_late": True},
    }


def k8s_config() -> dict[str, Any]:
    """The Kubernetes job executor's config: namespace and the secret holding the FORGE_* store URIs."""
    return {
        "job_namespace": _env_or(settings.K8S_NAMESPACE, settings.K8S_NAMESPACE.default),
        "env_secrets": [settings.K8S_ENV_SECRET.value()],
        "max_concurrent": 8,
    }


def executor_from_env() -> ExecutorDefinition:
    """The executor ``FORGE_EXECUTOR`` names (default in_process), configured from the environment."""
    choice = settings.EXECUTOR.value()
    if choice == "celery":
        from dagster_celery import celery_executor

        return celery_executor.configured(celery_config(), name="celery")
    if choice == "k8s":
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor.configured(k8s_config(), name="k8s")
    if choice == "multiprocess":
        return multiprocess_executor
    return in_process_executor
