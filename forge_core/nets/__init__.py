"""Neural volatility networks: feature scaling and windows, layers, architectures, losses and one trainer.

Nothing here knows about ``VolatilityModel``; ``forge_core.models.torch_model`` wraps these behind it. Import the
modules themselves: ``inputs`` and ``train_config`` need no torch, so a model class that only declares itself (a
Dagster code location reading the registry) loads none; ``layers``, ``architectures``, ``training_losses`` and
``trainer`` import torch."""
