"""User-facing errors: what went wrong, where, expected vs found. Never a traceback."""

from __future__ import annotations


class CrmmlError(Exception):
    """An error caused by user input or environment, reported as one line per problem.

    The CLI prints ``problems`` (or the message) and exits with ``exit_code`` without a
    traceback. Raise it for bad input, bad config, missing files, unreachable services.
    """

    exit_code: int = 1

    def __init__(
        self, message: str, *, problems: list[str] | None = None, exit_code: int | None = None
    ):
        super().__init__(message)
        self.problems = list(problems or [])
        if exit_code is not None:
            self.exit_code = exit_code

    def lines(self) -> list[str]:
        return self.problems or [str(self)]


class ConfigError(CrmmlError):
    """A config or policy file is invalid (names the file, the key and the reason)."""


class DataQualityError(CrmmlError):
    """The data-quality gate found blocking problems (one line each)."""
