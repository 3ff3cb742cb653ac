"""The live registry: one registered model per target (``volatilityforge-<target>``) whose versions are whole
fitted sets (``forge_core.live.FittedSet``: every symbol, one family or ensemble, with its calibration).

Aliases choose between them: ``champion`` (what the daily forecasts publish), ``challenger`` (the best of the
latest retraining, waiting for its shadow-day test), ``previous_champion`` (for a rollback) and one
``shadow_<member>`` per member of the latest retraining. Each version carries the set's tags (member, kind, as_of,
recent QLIKE), its run the set's recent scores as metrics; every call rides out a restart of the store
(``store_retry.retrying``). A set whose files cannot be loaded is a ``BrokenSet`` whose first line names the
target, the registered model, the version, the alias and the file, and what is wrong with it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mlflow.entities import Metric
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, ErrorCode

from forge_core.evaluation.run_scores import BENCHMARK
from forge_core.live.daily_publication import Fallback, PublishedSet, strongest_roles
from forge_core.live.fitted_set import FittedSet, SetFileError
from forge_core.live.pyfunc_flavour import write_mlmodel
from forge_core.models.base import Runtime
from forge_core.roles import CHALLENGER, CHAMPION, PREVIOUS_CHAMPION, SHADOW_PREFIX, Role
from forge_core.tracking.config import TrackingConfig
from forge_core.tracking.fits import MODEL_ARTIFACT_DIR, TAG_PREFIX, log_run, model_artifacts, tracking_client
from forge_core.tracking.model_registry import register_fit, set_alias
from forge_core.tracking.store_retry import retrying

LIVE_PREFIX = "volatilityforge-"
DIGEST_TAG = "inputs_digest"  # the retraining's inputs (``forge_core.live.live_fit.live_inputs_digest``)
RATIO_TAG = f"recent_mse_ratio_{BENCHMARK}"  # the ratio, or why there is none


def live_model_name(target: str) -> str:
    """The registered model of a target's live sets, e.g. ``volatilityforge-rv_5d``."""
    return f"{LIVE_PREFIX}{target}"


def shadow_alias(member: str) -> str:
    """The alias of a member's latest set, e.g. ``shadow_lstm``."""
    return f"{SHADOW_PREFIX}{member}"


class MissingAlias(LookupError):
    """An alias that gives no set: it points nowhere (never set, or its version deleted), or at a set that cannot
    be loaded (``BrokenSet``)."""


class BrokenSet(MissingAlias):
    """An alias whose set has a file that is missing or cannot be parsed; the message's first line names the
    target, the registered model, the version, the alias and the file."""


@dataclass(frozen=True)
class LoadedSet:
    """A fitted set with the registry entry it came from."""

    fitted: FittedSet
    version: int
    run_id: str
    alias: str


def register_set(
    config: TrackingConfig, fitted: FittedSet, code_version: str, inputs_digest: str = ""
) -> int:
    """Log ``fitted`` as a run of its target's experiment (the set folder as the run's ``model`` artifact, the
    retraining's ``inputs_digest`` as a tag, its recent scores as metrics: ``recent_qlike`` and
    ``RecentScores.metrics``, a missing HAR ratio's reason as the ``forge.recent_mse_ratio_har`` tag) and register
    it as a new version of the target's live model, described with them; returns the version number."""
    as_of = fitted.as_of.isoformat()
    now = int(time.time() * 1000)
    scores = {"recent_qlike": fitted.recent_qlike, **(fitted.recent.metrics() if fitted.recent else {})}
    record = log_run(
        config,
        target=fitted.target,
        name=f"live-{fitted.member}-{fitted.target}-{as_of}",
        tags={
            "member": fitted.member,
            "kind": "ensemble" if fitted.is_ensemble else "family",
            "target": fitted.target,
            "as_of": as_of,
            "recent_qlike": f"{fitted.recent_qlike:.6g}",
            "symbols": len(fitted.symbols),
            DIGEST_TAG: inputs_digest,
            **_ratio_tag(fitted),
        },
        extra_tags=None,
        params={"method": fitted.method, "levels": ",".join(f"{v:g}" for v in fitted.levels)},
        metrics=[Metric(key, value, now, 0) for key, value in scores.items()],
        artifacts=lambda folder: _save_model(fitted, folder / MODEL_ARTIFACT_DIR),
        code_version=code_version,
    )
    name = live_model_name(fitted.target)
    version = register_fit(config, record, name)
    members = ", ".join(fitted.members) if fitted.is_ensemble else fitted.member
    description = (
        f"{fitted.member} set of {fitted.target} ({members}), fitted on rows realised by {as_of}, "
        f"{len(fitted.symbols)} symbols, {fitted.method} intervals; recent out-of-sample QLIKE "
        f"{fitted.recent_qlike:.4g}" + (f", {fitted.recent.describe()}" if fitted.recent else "")
    )
    client = tracking_client(config)
    retrying(
        lambda: client.update_model_version(name, str(version), description=description),
        what=f"describing {name} version {version}",
        store=config.registry_uri,
    )
    return version


def _ratio_tag(fitted: FittedSet) -> dict[str, str]:
    """``recent_mse_ratio_har``: the ratio, or why the run has no such metric."""
    recent = fitted.recent
    if recent is None:
        return {}
    ratio = recent.mse_ratio_har
    return {RATIO_TAG: f"{ratio:.6g}" if ratio is not None else f"none: {recent.no_ratio}"}


def _save_model(fitted: FittedSet, folder: Path) -> None:
    """The set's files, and the ``MLmodel`` file that makes them an MLflow pyfunc model (``pyfunc_flavour``)."""
    fitted.save(folder)
    write_mlmodel(folder, fitted)


def retrained_from(config: TrackingConfig, target: str, inputs_digest: str) -> dict[str, int] | None:
    """``target``'s aliases when its last retraining was fitted from inputs with ``inputs_digest`` (every
    ``shadow_<member>`` version's run carries it): retraining again would register the same sets. None otherwise."""
    now = aliases(config, target)
    shadows = [version for alias, version in now.items() if alias.startswith(SHADOW_PREFIX)]
    if not shadows:
        return None
    for version in shadows:
        if _run_tag(config, target, version, f"{TAG_PREFIX}{DIGEST_TAG}") != inputs_digest:
            return None
    return now


def _run_tag(config: TrackingConfig, target: str, version: int, tag: str) -> str | None:
    """A tag of the run behind ``version`` of ``target``'s live model."""
    client, name = tracking_client(config), live_model_name(target)

    def read() -> str | None:
        run_id = client.get_model_version(name, str(version)).run_id
        value: str | None = client.get_run(run_id).data.tags.get(tag) if run_id else None
        return value

    return retrying(read, what=f"reading {name} version {version}", store=config.registry_uri)


def aliases(config: TrackingConfig, target: str) -> dict[str, int]:
    """Every alias of ``target``'s live model and its version ({} if the model is not registered yet)."""
    client = tracking_client(config)
    name = live_model_name(target)
    try:
        model = retrying(
            lambda: client.get_registered_model(name), what=f"reading {name}", store=config.registry_uri
        )
    except MlflowException as error:
        if error.error_code == ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            return {}
        raise
    return {alias: int(version) for alias, version in model.aliases.items()}


def point_alias(config: TrackingConfig, target: str, alias: str, version: int | None) -> None:
    """Point ``alias`` of ``target``'s live model at ``version`` (None: remove the alias). The champion is also
    named by the registered model's ``champion`` tag, which MLflow's model list shows beside the aliases."""
    name = live_model_name(target)
    set_alias(config, name, alias, version)
    if alias == CHAMPION and version is not None:
        client = tracking_client(config)
        retrying(
            lambda: client.set_registered_model_tag(name, CHAMPION, f"version {version}"),
            what=f"naming the champion of {name}",
            store=config.registry_uri,
        )


def load_set(
    config: TrackingConfig,
    target: str,
    alias: str,
    runtime: Runtime | None = None,
    version: int | None = None,
) -> LoadedSet:
    """The fitted set ``alias`` of ``target``'s live model points at, or registry ``version`` (then ``alias`` only
    labels it, e.g. the role it had on a past day). ``MissingAlias`` naming the alias, the model and the aliases it
    has when it points nowhere (never set, or its version was deleted); ``BrokenSet`` naming the file when one of
    the set's files (or its whole folder) is missing or cannot be parsed."""
    client, name = tracking_client(config), live_model_name(target)
    try:
        found = retrying(
            lambda: (
                client.get_model_version(name, str(version))
                if version is not None
                else client.get_model_version_by_alias(name, alias)
            ),
            what=f"reading {name}@{alias}" if version is None else f"reading {name} version {version}",
            store=config.registry_uri,
        )
    except MlflowException as error:
        if error.error_code not in (
            ErrorCode.Name(RESOURCE_DOES_NOT_EXIST),
            ErrorCode.Name(INVALID_PARAMETER_VALUE),
        ):
            raise
        if version is not None:
            raise MissingAlias(f"{name} has no version {version} (deleted since it published)") from None
        known = aliases(config, target)
        raise MissingAlias(
            f"{name} has no {alias!r} (its aliases: {known or 'none'}): run the retrain job for {target}"
            + (" first" if alias == CHAMPION and not known else "")
        ) from None
    run_id = found.run_id
    if run_id is None:
        raise MissingAlias(f"{name}@{alias} (version {found.version}) has no run to load the set from")
    number = int(found.version)
    try:
        with model_artifacts(
            client, config.tracking_uri, run_id, f"reading the files of {name}@{alias}"
        ) as folder:
            try:
                fitted = FittedSet.load(folder, runtime)
            except SetFileError as error:
                file = error.path.relative_to(folder) if error.path.is_relative_to(folder) else error.path
                raise _broken(target, number, alias, run_id, f"{MODEL_ARTIFACT_DIR}/{file}", error) from error
    except MlflowException as error:  # the run, or its whole set folder, is gone
        if error.error_code != ErrorCode.Name(RESOURCE_DOES_NOT_EXIST):
            raise
        raise _broken(target, number, alias, run_id, MODEL_ARTIFACT_DIR, error) from error
    return LoadedSet(fitted, number, run_id, alias)


def _broken(
    target: str, version: int, alias: str, run_id: str, file: str, error: SetFileError | MlflowException
) -> BrokenSet:
    """The ``BrokenSet`` of ``alias``'s set: ``file`` (its path in the run's artifacts) is missing or unreadable."""
    if isinstance(error, SetFileError):
        problem, where = error.problem, f" ({error.path})"
    else:
        problem, where = f"missing ({str(error).splitlines()[0]})", ""
    remedy = (
        "roll the champion back (rollback_job), or publish with fallback_to_previous_champion"
        if alias == CHAMPION
        else f"or retrain {target} (retrain_job)"
    )
    return BrokenSet(
        f"{target}: {live_model_name(target)} version {version} (alias {alias}) cannot be loaded: {file} is "
        f"{problem}\nin the artifacts of run {run_id}{where}: restore the file, {remedy}"
    )


def promote(config: TrackingConfig, target: str) -> dict[str, int]:
    """The challenger becomes champion, the champion ``previous_champion``; returns the new aliases. LookupError
    without a challenger."""
    now = aliases(config, target)
    if CHALLENGER not in now:
        raise MissingAlias(
            f"{live_model_name(target)} has no challenger to promote (aliases: {now or 'none'})"
        )
    if CHAMPION in now:
        point_alias(config, target, PREVIOUS_CHAMPION, now[CHAMPION])
    point_alias(config, target, CHAMPION, now[CHALLENGER])
    point_alias(config, target, CHALLENGER, None)
    return aliases(config, target)


def rollback(config: TrackingConfig, target: str) -> dict[str, int]:
    """``champion`` goes back to ``previous_champion``, and the demoted version becomes ``previous_champion`` (so
    a second rollback undoes the first); returns the new aliases. LookupError without a previous champion."""
    now = aliases(config, target)
    if PREVIOUS_CHAMPION not in now or CHAMPION not in now:
        raise MissingAlias(
            f"{live_model_name(target)} has no previous champion to roll back to (aliases: {now or 'none'})"
        )
    point_alias(config, target, CHAMPION, now[PREVIOUS_CHAMPION])
    point_alias(config, target, PREVIOUS_CHAMPION, now[CHAMPION])
    return aliases(config, target)


@contextmanager
def roles_kept_on_failure(config: TrackingConfig, target: str) -> Iterator[None]:
    """If the block raises, every alias of ``target``'s live model is put back as it was before the block."""
    before = aliases(config, target)
    try:
        yield
    except BaseException:
        for alias in set(aliases(config, target)) | set(before):
            point_alias(config, target, alias, before.get(alias))
        raise


def assign_roles(
    config: TrackingConfig, target: str, registered: list[tuple[FittedSet, int]]
) -> dict[str, int]:
    """After a retraining (``registered``: its sets and their versions, best recent QLIKE first): every set becomes
    ``shadow_<member>`` (shadows of members it did not fit are removed); the best becomes ``challenger``, or
    ``champion`` when the target has none yet. Returns the new aliases."""
    if not registered:
        raise ValueError(f"{target}: a retraining registered no set")
    now = aliases(config, target)
    fitted = {shadow_alias(s.member): version for s, version in registered}
    for alias in now:
        if alias.startswith(SHADOW_PREFIX) and alias not in fitted:
            point_alias(config, target, alias, None)
    for alias, version in fitted.items():
        point_alias(config, target, alias, version)
    best = registered[0][1]
    point_alias(config, target, CHALLENGER if CHAMPION in now else CHAMPION, best)
    return aliases(config, target)


def published_sets(
    config: TrackingConfig, target: str, runtime: Runtime | None = None, fallback: bool = False
) -> list[PublishedSet]:
    """Every version an alias of ``target``'s live model points at, loaded once, with its strongest role (see
    ``daily_publication``), the champion first. ``MissingAlias`` when there is no champion, ``BrokenSet`` when a
    set cannot be loaded. With ``fallback``, a champion that cannot be loaded is left out and ``previous_champion``
    publishes in its role, carrying the ``Fallback``."""
    now = aliases(config, target)
    if CHAMPION not in now:
        raise MissingAlias(
            f"{live_model_name(target)} has no 'champion' (its aliases: {now or 'none'}): run the retrain job for "
            f"{target} first"
        )
    try:
        loaded = load_set(config, target, CHAMPION, runtime)
        champion = PublishedSet(loaded.fitted, loaded.version, loaded.run_id, Role.CHAMPION)
    except BrokenSet as broken:
        if not fallback:
            raise
        champion = _fall_back(config, target, now, broken, runtime)
    by_version = {version: alias for alias, version in sorted(now.items(), reverse=True)}
    others = {
        v: role for v, role in strongest_roles(now).items() if v not in (now[CHAMPION], champion.version)
    }
    return [
        champion,
        *(
            PublishedSet(loaded.fitted, loaded.version, loaded.run_id, role)
            for version, role in others.items()
            for loaded in [load_set(config, target, by_version[version], runtime)]
        ),
    ]


def _fall_back(
    config: TrackingConfig, target: str, now: dict[str, int], broken: BrokenSet, runtime: Runtime | None
) -> PublishedSet:
    """``previous_champion``'s set in the champion role, standing in for the champion ``broken`` names."""
    if PREVIOUS_CHAMPION not in now:
        raise BrokenSet(f"{broken}\nno {PREVIOUS_CHAMPION} to fall back to") from broken
    try:
        loaded = load_set(config, target, PREVIOUS_CHAMPION, runtime)
    except BrokenSet as also:
        raise BrokenSet(f"{broken}\nthe fallback to {PREVIOUS_CHAMPION} failed too: {also}") from also
    why = Fallback(now[CHAMPION], loaded.version, loaded.fitted.member, str(broken).splitlines()[0])
    return PublishedSet(loaded.fitted, loaded.version, loaded.run_id, Role.CHAMPION, why)
