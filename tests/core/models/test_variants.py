"""Model variant names: parsed and written back the same, paired with the model they differ from, and read from
FORGE_MODEL_VARIANTS with every entry checked against its family."""

from __future__ import annotations

import pytest

from forge_core.models import configured_variants
from forge_core.models.variants import ModelVariant


@pytest.mark.parametrize(
    ("name", "variant", "compared"),
    [
        ("log_har", ModelVariant("log_har"), None),
        ("log_har_with_options", ModelVariant("log_har", ("options",)), ("log_har", "log_har_with_options")),
        (
            "mlp_with_options_and_cross_asset",
            ModelVariant("mlp", ("options", "cross_asset")),
            ("mlp", "mlp_with_options_and_cross_asset"),
        ),
        ("gru_without_vix", ModelVariant("gru", ("vix",), include=False), ("gru_without_vix", "gru")),
    ],
)
def test_names_round_trip_and_pair(
    name: str, variant: ModelVariant, compared: tuple[str, str] | None
) -> None:
    parsed = ModelVariant.parse(name)
    assert parsed == variant and parsed.name == name and parsed.compared == compared


def test_configured_variants_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORGE_MODEL_VARIANTS", " log_har_with_options , mlp_without_vix,")
    assert [v.name for v in configured_variants()] == ["log_har_with_options", "mlp_without_vix"]
    monkeypatch.setenv("FORGE_MODEL_VARIANTS", "ewma_with_vix")
    with pytest.raises(
        ValueError,
        match=r"FORGE_MODEL_VARIANTS='ewma_with_vix': expected model names .* \(ewma takes no optional",
    ):
        configured_variants()
    monkeypatch.setenv("FORGE_MODEL_VARIANTS", "log_har")
    with pytest.raises(ValueError, match="names no feature set"):
        configured_variants()
    monkeypatch.delenv("FORGE_MODEL_VARIANTS")
    assert configured_variants() == ()
