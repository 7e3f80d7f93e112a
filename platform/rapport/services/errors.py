"""Expected failures of domain operations: each names a code, a message for people, and the input path.

The API turns them into typed payload errors (``FieldError``); the CLI and jobs print them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    DUPLICATE = "DUPLICATE"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    FORBIDDEN = "FORBIDDEN"
    PLUGIN_FAILED = "PLUGIN_FAILED"  # a plugin's validator or classifier raised: nothing was written


@dataclass(frozen=True, slots=True)
class Problem:
    code: ErrorCode
    message: str
    path: tuple[str, ...] | None = None


class DomainError(Exception):
    """One or more expected problems; nothing was written."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, code: ErrorCode, message: str, path: Sequence[str] | None = None) -> DomainError:
        return cls(Problem(code, message, tuple(path) if path is not None else None))


class ProblemCollector:
    """Gathers every problem of an input so the caller can report them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: ErrorCode, message: str, *path: str) -> None:
        self.problems.append(Problem(code, message, path or None))

    def raise_if_any(self) -> None:
        if self.problems:
            raise DomainError(self.problems)
