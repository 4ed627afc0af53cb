"""The training half of the window: TrainingController (created by the main window) with its panels —
data, training settings, runs, try-it, export — and the worker thread that runs the engine's Trainer.
"""
from .controller import TrainingController
from .worker import TrainingWorker

__all__ = ["TrainingController", "TrainingWorker"]
