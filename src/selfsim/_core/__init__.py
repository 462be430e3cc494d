"""Shared core: errors, validation, seeding, configuration, output folders, progress, provenance."""

from .errors import *  # noqa: F401,F403
from .errors import __all__ as _errors_all

__all__ = list(_errors_all)
