"""The blocking ``<asset>_quality`` check every writer asset reports on what it has just written."""

from collections.abc import Mapping

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue


def quality_check(asset: str, description: str) -> AssetCheckSpec:
    """The check's spec: blocking, so assets downstream do not run on data that failed it."""
    return AssetCheckSpec(f"{asset}_quality", asset=asset, blocking=True, description=description)


def quality_result(
    asset: str, defects: Mapping[str, int], extra: Mapping[str, MetadataValue] | None = None
) -> AssetCheckResult:
    """Passed when every defect count is zero; the counts (and ``extra``) go to the check's metadata."""
    return AssetCheckResult(
        check_name=f"{asset}_quality",
        passed=not any(defects.values()),
        severity=AssetCheckSeverity.ERROR,
        metadata={**{name: MetadataValue.int(count) for name, count in defects.items()}, **(extra or {})},
    )
