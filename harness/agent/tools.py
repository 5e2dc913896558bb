"""The agent's tools, as OpenAI function-calling tools over a sandbox Session.

The set Moonshot (Kimi) and Scale used on SWE-bench Pro, SWE-agent style: `bash`, a file
editor split into `view`, `create`, `str_replace` and `insert`, and `submit`. Edits read and
write whole files through the session (base64 both ways) rather than `sed` in a shell, so any
content is exact; text is decoded with surrogateescape, so bytes that are not UTF-8 survive an
edit elsewhere in the file.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.sandbox.session import DEFAULT_COMMAND_TIMEOUT, Session, SessionFileError

SNIPPET_CONTEXT = 4  # lines shown either side of an edit
VIEW_MAX_CHARS = 40_000  # a longer file view is cut, pointing at view_range


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any] = field(hash=False)

    def openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": self.parameters}}


class ToolError(Exception):
    """Bad arguments or an impossible edit; the message goes back to the model verbatim.
    `malformed` marks a call wrong in form (unknown tool, arguments not fitting the schema),
    which the agent loop counts as a format error, unlike an edit that cannot be done."""

    def __init__(self, message: str, *, malformed: bool = False) -> None:
        super().__init__(message)
        self.malformed = malformed


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


_PATH = {"type": "string", "description": "Absolute path, or relative to the repository root."}

SPECS: tuple[ToolSpec, ...] = (
    ToolSpec("bash", (
        "Run a bash command in the repository's sandbox and get its output (stdout and stderr) "
        "and exit code. The shell persists between calls: `cd`, exported variables and "
        "activated environments carry over. There is no network. stdin is closed, so "
        "interactive programs get end-of-file; commands that run too long are killed. "
        "Do not start servers in the foreground."
    ), _object({"command": {"type": "string", "description": "The bash command to run."}},
               ["command"])),
    ToolSpec("view", (
        "Show a file with line numbers (like `cat -n`), or list a directory two levels deep "
        "(hidden entries excluded). For long files, pass view_range."
    ), _object({"path": _PATH, "view_range": {
        "type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2,
        "description": "Optional [start, end] line range, 1-based and inclusive; end -1 means "
                       "to the end of the file.",
    }}, ["path"])),
    ToolSpec("create", (
        "Create a new file with the given content (parent directories are created). Fails if "
        "the path exists: edit existing files with str_replace or insert."
    ), _object({"path": _PATH, "file_text": {
        "type": "string", "description": "The file's full content, written exactly."}},
        ["path", "file_text"])),
    ToolSpec("str_replace", (
        "Replace text in a file: old_str must match exactly one place in the file, character "
        "for character including whitespace and indentation (include enough surrounding lines "
        "to make it unique). Shows the edited region with line numbers."
    ), _object({"path": _PATH,
                "old_str": {"type": "string", "description": "The exact text to replace."},
                "new_str": {"type": "string",
                            "description": "The replacement (omit or empty to delete)."}},
               ["path", "old_str"])),
    ToolSpec("insert", (
        "Insert text after a given line of a file (0 inserts at the top). Shows the edited "
        "region with line numbers."
    ), _object({"path": _PATH,
                "insert_line": {"type": "integer",
                                "description": "The line after which to insert (0 = top)."},
                "new_str": {"type": "string", "description": "The text to insert."}},
               ["path", "insert_line", "new_str"])),
    ToolSpec("submit", (
        "Submit your work when the fix is complete. The current state of the repository "
        "(every change under it, new files included) becomes your patch."
    ), _object({}, [])),
)

SUBMITTED_TEXT = "Your changes have been submitted; the repository's diff is your patch."

_JSON_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,),
                                            "array": (list,), "object": (dict,)}


def check_arguments(spec: ToolSpec, arguments: object) -> dict[str, Any]:
    """The arguments if they fit the spec's schema (optional ones may be null); else ToolError."""
    if not isinstance(arguments, dict):
        raise ToolError(f"{spec.name}: arguments must be a JSON object, got "
                        f"{type(arguments).__name__}", malformed=True)
    props: dict[str, Any] = spec.parameters["properties"]
    unknown = sorted(set(arguments) - set(props))
    if unknown:
        takes = ", ".join(props) or "no arguments"
        raise ToolError(f"{spec.name}: unexpected argument(s) {', '.join(unknown)}; "
                        f"it takes: {takes}", malformed=True)
    required = spec.parameters["required"]
    for key in required:
        if arguments.get(key) is None:
            raise ToolError(f"{spec.name}: missing required argument '{key}'", malformed=True)
    present = {k: v for k, v in arguments.items() if v is not None}
    for key, value in present.items():
        _check_value(f"{spec.name}: argument '{key}'", value, props[key])
    return present


def _check_value(what: str, value: Any, schema: dict[str, Any]) -> None:
    kind = schema["type"]
    if not isinstance(value, _JSON_TYPES[kind]) or isinstance(value, bool):
        raise ToolError(f"{what} must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, got "
                        f"{type(value).__name__} {value!r:.80}", malformed=True)
    if kind != "array":
        return
    low, high = schema.get("minItems", 0), schema.get("maxItems", len(value))
    if not low <= len(value) <= high:
        size = str(low) if low == high else f"{low} to {high}"
        raise ToolError(f"{what} must have {size} items, got {len(value)}", malformed=True)
    for item in value:
        _check_value(f"{what} (each item)", item, schema["items"])


@dataclass
class _Text:
    """A file's text as lines split on "\\n" only (as `cat -n` counts them), and whether it
    ended with a newline, so an edit can keep that as it was."""

    lines: list[str]
    trailing_newline: bool

    @classmethod
    def parse(cls, text: str) -> _Text:
        if not text:
            return cls([], True)
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        return cls(lines, text.endswith("\n"))

    def render(self) -> str:
        end = "\n" if self.lines and self.trailing_newline else ""
        return "\n".join(self.lines) + end


def _display(text: str) -> str:
    """Text for the model: bytes that were not UTF-8 shown as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _numbered(lines: list[str], first: int) -> str:
    return "".join(f"{n:6}\t{_display(line)}\n" for n, line in enumerate(lines, first))


class Toolbox:
    """The tools over one session. `call` returns the observation text or raises ToolError."""

    def __init__(self, session: Session, workdir: str,
                 command_timeout: float = DEFAULT_COMMAND_TIMEOUT) -> None:
        self.session = session
        self.workdir = workdir
        self.command_timeout = command_timeout
        self.specs: list[ToolSpec] = list(SPECS)
        self.submitted = False
        self._handlers: dict[str, Callable[[dict[str, Any]], str]] = {
            "bash": self._bash, "view": self._view, "create": self._create,
            "str_replace": self._str_replace, "insert": self._insert, "submit": self._submit,
        }

    def openai_specs(self) -> list[dict[str, Any]]:
        return [spec.openai() for spec in self.specs]

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        spec = next((s for s in self.specs if s.name == name), None)
        if spec is None:
            known = ", ".join(s.name for s in self.specs)
            raise ToolError(f"unknown tool {name!r}; the tools are: {known}", malformed=True)
        return self._handlers[name](check_arguments(spec, arguments))

    # -- tools --------------------------------------------------------------------------
    def _bash(self, args: dict[str, Any]) -> str:
        command: str = args["command"]
        if not command.strip():
            raise ToolError("bash: the command is empty")
        if "\x00" in command:
            raise ToolError("bash: the command contains a NUL character")
        result = self.session.run(command, timeout=self.command_timeout)
        output = result.output  # capped by the session; the agent loop elides further
        if result.timed_out:
            return (f"[The command timed out after {self.command_timeout:g} seconds and was "
                    f"killed. The shell is still usable. Output until then:]\n{output}")
        notes = "" if result.exit_code == 0 else f"\n[exit code: {result.exit_code}]"
        return (output or "(no output)") + notes

    def _view(self, args: dict[str, Any]) -> str:
        path = self._path(args["path"])
        kind = self._kind(path)
        if kind == "missing":
            raise ToolError(f"The path {path} does not exist.")
        if kind == "dir":
            if "view_range" in args:
                raise ToolError("view_range is not allowed when path is a directory.")
            return self._list_dir(path)
        text = _Text.parse(self._read(path))
        start, end = self._view_bounds(args.get("view_range"), len(text.lines))
        body = _numbered(text.lines[start - 1:end], start)
        if len(body) > VIEW_MAX_CHARS:
            cut = body[:VIEW_MAX_CHARS].rsplit("\n", 1)[0]
            body = (f"{cut}\n[... cut: {path} has {len(text.lines)} lines; pass view_range to "
                    "see the rest]\n")
        return f"Here's the result of running `cat -n` on {path}:\n{body}"

    def _create(self, args: dict[str, Any]) -> str:
        path = self._path(args["path"])
        kind = self._kind(path)
        if kind == "dir":
            raise ToolError(f"{path} is a directory; create makes files.")
        if kind != "missing":
            raise ToolError(f"File already exists at: {path}. create cannot overwrite files; "
                            "use str_replace to edit it.")
        self._write(path, args["file_text"])
        return f"File created successfully at: {path}"

    def _str_replace(self, args: dict[str, Any]) -> str:
        path, old, new = self._path(args["path"]), args["old_str"], args.get("new_str", "")
        if not old:
            raise ToolError("str_replace: old_str is empty; give the exact text to replace.")
        text = self._read_file(path)
        starts = _occurrences(text, old)
        if not starts:
            raise ToolError(f"No replacement was performed: old_str `{old}` did not appear "
                            f"verbatim in {path}.")
        if len(starts) > 1:
            lines = [text.count("\n", 0, i) + 1 for i in starts]
            raise ToolError(f"No replacement was performed: old_str appears {len(starts)} times "
                            f"in {path}, at lines {lines}. Include more surrounding lines so "
                            "that it matches exactly once.")
        edited = text[:starts[0]] + new + text[starts[0] + len(old):]
        self._write(path, edited)
        first = text.count("\n", 0, starts[0]) + 1
        return self._edited(path, edited, first, first + new.count("\n"))

    def _insert(self, args: dict[str, Any]) -> str:
        path, after, new = self._path(args["path"]), args["insert_line"], args["new_str"]
        if not new:
            raise ToolError("insert: new_str is empty; nothing to insert.")
        text = _Text.parse(self._read_file(path))
        if not 0 <= after <= len(text.lines):
            raise ToolError(f"Invalid insert_line {after}: it must be within [0, "
                            f"{len(text.lines)}] ({path} has {len(text.lines)} lines).")
        added = _Text.parse(new).lines
        text.lines[after:after] = added
        edited = text.render()
        self._write(path, edited)
        return self._edited(path, edited, after + 1, after + len(added))

    def _submit(self, args: dict[str, Any]) -> str:
        self.submitted = True
        return SUBMITTED_TEXT

    # -- helpers ------------------------------------------------------------------------
    def _path(self, raw: str) -> str:
        if not raw.strip():
            raise ToolError("path is empty")
        return raw if posixpath.isabs(raw) else posixpath.normpath(posixpath.join(self.workdir,
                                                                                  raw))

    def _kind(self, path: str) -> str:
        q = shlex.quote(path)
        result = self.session.run(f"if [ -d {q} ]; then echo dir; elif [ -f {q} ]; then echo "
                                  f"file; elif [ -e {q} ]; then echo other; else echo missing; "
                                  "fi", timeout=30)
        return result.output.strip()

    def _read(self, path: str) -> str:
        try:
            data = self.session.read_file(path)
        except SessionFileError as exc:
            raise ToolError(str(exc)) from None
        return data.decode("utf-8", "surrogateescape")

    def _read_file(self, path: str) -> str:
        """The text of an existing regular file, with a clear error for anything else."""
        kind = self._kind(path)
        if kind == "missing":
            raise ToolError(f"The path {path} does not exist. Use create to make a new file.")
        if kind != "file":
            raise ToolError(f"{path} is not a regular file (it is a {kind}).")
        return self._read(path)

    def _write(self, path: str, text: str) -> None:
        try:
            data = text.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise ToolError(f"the new text cannot be encoded as UTF-8: {exc}") from None
        try:
            self.session.write_file(path, data)
        except SessionFileError as exc:
            raise ToolError(str(exc)) from None

    def _view_bounds(self, view_range: list[int] | None, count: int) -> tuple[int, int]:
        if view_range is None:
            return 1, count
        start, end = view_range
        where = f"Invalid view_range {view_range}:"
        if not 1 <= start <= count:
            raise ToolError(f"{where} its first element {start} should be within the file's "
                            f"line range [1, {count}].")
        if end == -1:
            return start, count
        if end < start:
            raise ToolError(f"{where} its second element {end} should be -1 or at least the "
                            f"first element {start}.")
        if end > count:
            raise ToolError(f"{where} its second element {end} is past the end of the file "
                            f"({count} lines); use -1 to view to the end.")
        return start, end

    def _list_dir(self, path: str) -> str:
        q = shlex.quote(path)
        result = self.session.run(f"find {q} -mindepth 1 -maxdepth 2 -name '.*' -prune -o "
                                  "-print | LC_ALL=C sort", timeout=60)
        if result.exit_code != 0:
            raise ToolError(f"could not list {path}: {result.output.strip()}")
        return (f"Here are the files and directories up to 2 levels deep in {path}, excluding "
                f"hidden items:\n{result.output}")

    def _edited(self, path: str, text: str, first: int, last: int) -> str:
        lines = _Text.parse(text).lines
        start = max(first - SNIPPET_CONTEXT, 1)
        end = min(max(last, first) + SNIPPET_CONTEXT, len(lines))
        return (f"The file {path} has been edited. Here's the result of running `cat -n` on a "
                f"snippet of {path}:\n{_numbered(lines[start - 1:end], start)}"
                "Review the changes and make sure they are as expected. Edit the file again if "
                "necessary.")


def _occurrences(text: str, old: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of `old` in `text`."""
    starts: list[int] = []
    i = text.find(old)
    while i >= 0:
        starts.append(i)
        i = text.find(old, i + len(old))
    return starts
