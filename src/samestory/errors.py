"""The exception tree of samestory.

    SamestoryError
    ├── InputError        bad input: a file, a record or a line that can't be read (names file and line)
    ├── ConfigError       a parameter out of range or a missing optional dependency
    └── StoreError        the store can't be opened or written
"""

from __future__ import annotations


class SamestoryError(Exception):
    """The root of every error samestory raises on purpose."""


class InputError(SamestoryError):
    """A file, record or line that can't be read. `where` names the file and line."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message

    def __reduce__(self) -> tuple[type[InputError], tuple[str, str]]:  # pickled across worker processes
        return type(self), (self.where, self.message)


class ConfigError(SamestoryError):
    """A parameter out of range, or an optional dependency that is not installed."""


class StoreError(SamestoryError):
    """The store can't be opened, read or written."""


def missing_extra(module: str, extra: str) -> ConfigError:
    """The error for an optional dependency that isn't installed, naming the pip command."""
    return ConfigError(f"{module} is not installed: pip install 'samestory[{extra}]'")
