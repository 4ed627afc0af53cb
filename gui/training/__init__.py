"""Training in the window: the QThread bridge that runs the engine's Trainer and re-emits its events.

See worker.TrainingWorker.
"""
from .worker import TrainingWorker

__all__ = ["TrainingWorker"]
