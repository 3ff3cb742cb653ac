"""Concurrency pools and the step tags that place their ops on the right machines.

``warehouse``: the assets that write the DuckDB file (one writer at a time); ``gpu``: the torch families' fits
(``VolatilityModel.pool``), one per device. Both are one slot by default (``dagster.yaml``), held on every executor.

On Kubernetes (``FORGE_EXECUTOR=k8s``) a step of a ``gpu`` op runs in a pod on a GPU node with one GPU:
``GPU_K8S_CONFIG`` is its ``dagster-k8s/config`` tag (node selector, toleration, requests and limits), which the
k8s job executor merges into the step's job; other executors ignore the tag.
"""

from __future__ import annotations

from typing import Any

WAREHOUSE_POOL, GPU_POOL = "warehouse", "gpu"
K8S_CONFIG_TAG = "dagster-k8s/config"

GPU_K8S_CONFIG: dict[str, Any] = {
    "container_config": {
        "resources": {
            "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
            "limits": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"},
        }
    },
    "pod_spec_config": {
        "node_selector": {"nvidia.com/gpu.present": "true"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    },
}


def pool_op_tags(pool: str | None) -> dict[str, Any] | None:
    """The op tags of an asset in ``pool``: the GPU node placement for ``gpu``, none otherwise."""
    return {K8S_CONFIG_TAG: GPU_K8S_CONFIG} if pool == GPU_POOL else None
