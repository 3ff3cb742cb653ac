"""Bad run configuration fails before any work, with one clear error naming the value and the accepted ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import instance_for_test

from forge_core.models import ForecastTask, create_model
from forge_core.targets import parse_targets
from forge_jobs.definitions import defs
from forge_jobs.launch import RANGE_END, RANGE_START, run_job
from forge_jobs.resources import resources_from_env


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("2014", "2013", "reversed partition range 2014 .. 2013"),
        ("2014", "2044", "partition '2044' does not exist: market_data_job's partitions run 1999"),
        ("2014-03-03", "2014-03-14", "partition '2014-03-03' does not exist"),  # a day, not a year
    ],
)
def test_a_bad_partition_range_is_refused_before_any_run(
    first: str, last: str, expected: str, tmp_path: Path
) -> None:
    job = defs.resolve_job_def("market_data_job")
    with instance_for_test() as instance:
        with pytest.raises(ValueError, match=expected):
            run_job(job, instance, tags={RANGE_START: first, RANGE_END: last})
        assert not instance.get_runs()  # no run was even created


def test_a_missing_model_partition_is_refused_with_the_valid_span() -> None:
    job = defs.resolve_job_def("baselines_job")
    with (
        instance_for_test() as instance,
        pytest.raises(ValueError, match=r"partition 'rv_2d\|2019-01-01' does not"),
    ):
        run_job(job, instance, partition_key="rv_2d|2019-01-01")


def test_unknown_families_targets_proxies_and_sources_name_the_accepted_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(
        ValueError, match=r"unknown model family 'prophet'; known: \['ewma', 'garch', 'gjr_garch'"
    ):
        create_model("prophet", ForecastTask(1, "parkinson"))
    with pytest.raises(ValueError, match="horizon '0' of rv_0d is not a whole number of days >= 1"):
        parse_targets("rv_1d=1,rv_0d=0")
    with pytest.raises(ValueError, match=r"FORGE_TARGETS='rv_5d=-5': .*horizon '-5' of rv_5d is not a whole"):
        parse_targets("rv_5d=-5")
    with pytest.raises(
        ValueError, match=r"unknown proxy 'range'; choose one of \('parkinson', 'garman_klass'"
    ):
        parse_targets("rv_5d=5:range")
    monkeypatch.setenv("FORGE_SOURCE", "bloomberg")
    with pytest.raises(ValueError, match=r"FORGE_SOURCE='bloomberg': expected bundled, files or synthetic"):
        resources_from_env()
