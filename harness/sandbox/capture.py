"""Bounded capture: what the harness keeps of a container's output and files.

What the harness reads back (printed output, collected files) is kept to a head and a tail
of fixed size, with a note of how much was cut, however much the container produced.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from typing import Any

FILE_CAP = 8 * 1024 * 1024  # bytes kept of each collected file (first and last halves)
COLLECT_CAP = 32 * 1024 * 1024  # bytes of collected files in all; files past it are left out
READ_CHUNK = 1024 * 1024


CUT_NOTE = "\n[... {} bytes of output dropped ...]\n"  # {}: the count (also the wrapper's)


def cut_note(count: int) -> bytes:
    """What stands where `count` bytes were cut from the middle of a stream or file."""
    return CUT_NOTE.format(count).encode()


class HeadTail:
    """The first and last `cap // 2` bytes of a stream, and how many fell between them. It
    never holds much more than `cap` bytes, however much is added."""

    def __init__(self, cap: int) -> None:
        self.half = max(cap // 2, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > 2 * self.half:  # trim in batches: amortised O(1) a byte
            self._trim()

    def _trim(self) -> None:
        excess = len(self.tail) - self.half
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def value(self) -> bytes:
        """Head, a note of how much was cut (if anything was), tail."""
        self._trim()
        return bytes(self.head + (cut_note(self.dropped) if self.dropped else b"") + self.tail)

    def text(self) -> str:
        return self.value().decode("utf-8", errors="replace")



class ChunkReader(io.RawIOBase):
    """A readable file over an iterator of byte chunks (a streamed archive)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buffer = chunk
        size = min(len(target), len(self._buffer))
        target[:size], self._buffer = self._buffer[:size], self._buffer[size:]
        return size


def bounded_members(tar: tarfile.TarFile, cut: dict[str, int]) -> dict[str, bytes]:
    """The regular files of a streamed tar, each kept to FILE_CAP (head and tail, with a
    note), COLLECT_CAP in all; what was cut or left out is counted in `cut` by name."""
    files: dict[str, bytes] = {}
    total = 0
    for member in tar:
        if not member.isfile():
            continue
        name = member.name.removeprefix("./")
        if total >= COLLECT_CAP:
            cut[name] = member.size
            continue
        # (room beside the cap for the note of a file the wrapper cut already)
        capture = HeadTail(min(FILE_CAP + 1024, COLLECT_CAP - total))
        handle = tar.extractfile(member)
        while handle is not None and (block := handle.read(READ_CHUNK)):
            capture.add(block)
        files[name] = capture.value()
        total += len(files[name])
        if capture.dropped:
            cut[name] = capture.dropped
    return files
