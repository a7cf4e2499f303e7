"""Trainer plugins: the interface and the default scikit-learn tabular trainer."""

from runtime.trainers.base import FitResult, Predictions, Trainer, load_trainer, trainer_spec

__all__ = ["FitResult", "Predictions", "Trainer", "load_trainer", "trainer_spec"]
