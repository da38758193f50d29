"""The ``ddor`` exit codes and the refusal a command ends with. Its own small module: the CLI
imports it at start, and ``ddor --help`` must stay fast (no dataclasses, no packages)."""

from __future__ import annotations

# 0 success (including "nothing new"); 1 the run failed, or the store cannot answer what was
# asked; 2 usage or configuration error.
EXIT_FAILED, EXIT_USAGE = 1, 2


class Refusal(Exception):
    """A command cannot do what was asked: one line on stderr and an exit code (2 for a usage
    or configuration error, 1 for a request the store cannot answer)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
