"""Errors every layer may raise and the CLI knows how to show."""


class UsageError(RuntimeError):
    """Bad input from the user (an option, a file, an unreachable cluster they named): printed
    as one clear line, exit code 2."""
