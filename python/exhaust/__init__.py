"""exhaust's Python package. So far: the training-loop logger that writes
exhaust's JSONL run format (see logger.py and docs/formats.md)."""

from .logger import KerasLogger, RunLogger

__all__ = ["RunLogger", "KerasLogger"]
