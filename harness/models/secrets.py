"""API keys never appear in what the harness writes: messages, logs, records, trajectories.

A `Redactor` is built from the environment (the values of every variable any variant names in
`api_key_env`, plus keys given explicitly) and replaces each key, in its raw, JSON-escaped and
URL-encoded spellings, by `[redacted $VAR]`. It is an immutable value handed to what writes
(model clients, record and trajectory writers, the CLI's log handlers), not a registry.

Values shorter than `MIN_SECRET_CHARS` are not treated as keys: they would redact ordinary
words (a dry run's `RUNAPI_API_KEY=fake`), and no real API key is that short.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import quote

from harness.models.errors import ModelConfigError
from harness.models.variants import Variant, load_variants

MIN_SECRET_CHARS = 8
DEFAULT_KEY_ENV = "RUNAPI_API_KEY"


def _spellings(secret: str) -> set[str]:
    """How a key may appear in text: as is, inside a JSON string, in a URL."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}


def _longest_first(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """A key that contains another is replaced first, so no part of it is left behind."""
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p[0])))


@dataclass(frozen=True)
class Redactor:
    """Replaces each known key by a label naming where it came from. Callable on text."""

    keys: tuple[tuple[str, str], ...] = ()  # (spelling, label), longest spelling first

    @classmethod
    def of(cls, labelled: Mapping[str, str]) -> Redactor:
        """From {key value: label}; values too short to be keys are ignored."""
        pairs = {(spelling, f"[redacted {label}]") for value, label in labelled.items()
                 if value and len(value) >= MIN_SECRET_CHARS for spelling in _spellings(value)}
        return cls(_longest_first(pairs))

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None,
                         variables: Iterable[str] | None = None,
                         extra: Mapping[str, str] | None = None) -> Redactor:
        """Every key `env` (default: this process's environment) holds in `variables`
        (default: every variant's `api_key_env`), plus `extra` ({value: label}, e.g. a key
        passed in code)."""
        env = os.environ if env is None else env
        labelled = dict(extra or {})
        for name in sorted(key_variables() if variables is None else set(variables)):
            if env.get(name):
                labelled[env[name]] = f"${name}"
        return cls.of(labelled)

    def adding(self, labelled: Mapping[str, str]) -> Redactor:
        """This redactor, also redacting the keys of `labelled` it does not know yet."""
        known = {spelling for spelling, _ in self.keys}
        more = Redactor.of({v: label for v, label in labelled.items() if v not in known})
        return Redactor(_longest_first({*self.keys, *more.keys}))

    def __bool__(self) -> bool:
        return bool(self.keys)

    def __call__(self, text: str) -> str:
        for spelling, label in self.keys:
            if spelling in text:
                text = text.replace(spelling, label)
        return text

    def data(self, value: Any) -> Any:
        """`value` with every string in it (dict keys and values, list items) redacted."""
        if not self.keys:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def exception(self, exc: BaseException) -> BaseException:
        """Redact an exception's message in place (and return it), so that whoever prints
        or records it later sees no key."""
        if self.keys and exc.args:
            exc.args = tuple(self(a) if isinstance(a, str) else a for a in exc.args)
            if isinstance(getattr(exc, "message", None), str):
                exc.message = self(exc.message)  # type: ignore[attr-defined]
        return exc


def key_variables(variants: Iterable[Variant] | None = None) -> set[str]:
    """The variables that hold API keys: every variant's `api_key_env` (and RunAPI's own)."""
    names = {DEFAULT_KEY_ENV}
    if variants is None:
        try:
            variants = load_variants().values()
        except ModelConfigError:  # a broken variants file: the default variable still counts
            variants = ()
    names.update(v.api_key_env for v in variants if v.api_key_env)
    return names


class RedactingStream:
    """A text stream (stdout, stderr) that redacts each write before passing it on."""

    def __init__(self, inner: TextIO, redactor: Redactor) -> None:
        self.inner = inner
        self.redactor = redactor

    def write(self, text: str) -> int:
        self.inner.write(self.redactor(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.contextmanager
def redacted_output(redactor: Redactor) -> Iterator[None]:
    """While inside, what this process prints on stdout and stderr is redacted."""
    saved = sys.stdout, sys.stderr
    sys.stdout = RedactingStream(sys.stdout, redactor)  # type: ignore[assignment]
    sys.stderr = RedactingStream(sys.stderr, redactor)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class RedactingFormatter(logging.Formatter):
    """Formats with the handler's own formatter, then redacts the whole text (message,
    arguments and traceback alike)."""

    def __init__(self, inner: logging.Formatter | None, redactor: Redactor) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self.redactor(self.inner.format(record))


def redact_logging(redactor: Redactor, logger: logging.Logger | None = None) -> None:
    """Make every handler of `logger` (default: the root logger) redact what it writes."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(handler.formatter, redactor))
