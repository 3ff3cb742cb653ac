"""The deployment on paper, checked where it can be here: the files parse, the image installs exactly what the
Makefile installs, Dagster's own config schemas accept the Celery and Kubernetes executor config and the GPU step
tags, and the Helm values name the code location, the variables the code reads and no secret."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml
from dagster._config import validate_config
from dagster_celery import celery_executor
from dagster_k8s import k8s_job_executor
from dagster_k8s.job import get_user_defined_k8s_config

from forge_assets.pools import GPU_POOL, K8S_CONFIG_TAG
from forge_jobs.definitions import build_definitions
from forge_jobs.executors import celery_config, executor_from_env, k8s_config

REPO = Path(__file__).parents[2]
DEPLOY = REPO / "deploy"


def pip_steps(lines: list[str]) -> list[str]:
    """The pip commands of a recipe, with the interpreter's path dropped."""
    steps = []
    for line in lines:
        found = re.search(r"python -m pip install .*", line)
        if found:
            steps.append(found.group(0).strip())
    return steps


def test_the_image_installs_what_the_makefile_installs() -> None:
    makefile = (REPO / "Makefile").read_text()
    recipe = makefile.split("$(BIN)/.installed:", 1)[1].split("\n\n", 1)[0].splitlines()
    dockerfile = [
        line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.startswith("RUN ")
    ]
    assert pip_steps(dockerfile) == pip_steps(recipe) and len(pip_steps(recipe)) == 3


def test_every_yaml_parses_and_the_values_name_the_code_location_and_no_secret() -> None:
    documents = {path.name: yaml.safe_load(path.read_text()) for path in DEPLOY.rglob("*.yaml")}
    assert set(documents) == {"values.yaml", "celery.yaml"}
    values = documents["values.yaml"]
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    module = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    assert deployment["dagsterApiGrpcArgs"] == ["--module-name", module]
    env = {item["name"]: item["value"] for item in deployment["env"]}
    assert env["FORGE_ENV"] == "prod" and env["FORGE_EXECUTOR"] == "k8s"
    code = "\n".join(p.read_text() for p in (REPO / "forge_jobs").glob("*.py"))
    code += (REPO / "forge_core" / "settings.py").read_text()
    assert all(name in code for name in env), "a variable the code never reads"
    text = (DEPLOY / "helm" / "values.yaml").read_text()
    assert "postgresql+psycopg2://" not in text and "postgresqlPassword" not in text
    assert values["runLauncher"]["type"] == "K8sRunLauncher"


def test_dagster_accepts_the_executor_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    for executor, config in ((k8s_job_executor, k8s_config()), (celery_executor, celery_config())):
        result = validate_config(executor.config_schema.config_type, config)
        assert result.success, result.errors
    monkeypatch.setenv("FORGE_CELERY_BROKER", "pyamqp://guest@127.0.0.1:5672//")
    monkeypatch.setenv("FORGE_CELERY_BACKEND", "rpc://")
    workers = yaml.safe_load((DEPLOY / "celery.yaml").read_text())["execution"]["config"]
    assert validate_config(celery_executor.config_schema.config_type, workers).success
    assert celery_config()["broker"] == {"env": "FORGE_CELERY_BROKER"}  # the UI shows the name, not the URL
    monkeypatch.setenv("FORGE_EXECUTOR", "kubernetes")
    with pytest.raises(
        ValueError, match=r"FORGE_EXECUTOR='kubernetes': expected in_process, multiprocess, celery or k8s"
    ):
        executor_from_env()


@pytest.mark.parametrize("choice", ["in_process", "multiprocess", "celery", "k8s"])
def test_the_executor_is_chosen_by_configuration_and_gpu_steps_go_to_gpu_nodes(
    choice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORGE_EXECUTOR", choice)
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    for job_name in ("baselines_job", "deep_models_job", "daily_job"):
        assert defs.resolve_job_def(job_name).executor_def.name == choice
    gpu_steps = 0
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        tags = {k: v if isinstance(v, str) else json.dumps(v) for k, v in node.assets_def.op.tags.items()}
        placed = get_user_defined_k8s_config(tags)  # Dagster's own schema: raises on a bad tag
        if node.pools == {GPU_POOL}:
            gpu_steps += 1
            assert placed.pod_spec_config["node_selector"] == {"nvidia.com/gpu.present": "true"}
            assert placed.container_config["resources"]["limits"]["nvidia.com/gpu"] == "1"
        else:
            assert K8S_CONFIG_TAG not in tags
    assert gpu_steps >= 10  # the torch families' forecasts and hyperparameters


def test_a_run_s_steps_share_its_run_worker_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """With FORGE_EXECUTOR unset every job runs its steps in its run worker (one import of the code location)."""
    monkeypatch.delenv("FORGE_EXECUTOR", raising=False)
    defs = build_definitions()
    assert {defs.resolve_job_def(name).executor_def.name for name in ("daily_job", "retrain_job")} == {
        "in_process"
    }
