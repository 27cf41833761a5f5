"""What every backend offers: the four namespace verbs with the console's bounds and errors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType

from .. import generated as g
from ..errors import CohesixError
from ..validate import check_line, check_path


class Backend(ABC):
    """ls / cat / tail / echo against one hive, however it is reached.

    ``write_append`` returns the acknowledgement line in the console's grammar
    (``OK ECHO path=<p> bytes=<n>``); a refusal raises ``CohesixError`` whose ``ack`` is the
    hive's ``ERR …`` line.
    """

    name: str = "backend"
    #: Largest payload one append may carry on this transport.
    record_max: int = g.TELEMETRY_INGEST_MAX_RECORD_BYTES

    @abstractmethod
    def list_dir(self, path: str) -> list[str]: ...

    @abstractmethod
    def read_lines(self, path: str, max_bytes: int) -> list[str]: ...

    @abstractmethod
    def tail_lines(self, path: str, max_bytes: int) -> list[str]: ...

    @abstractmethod
    def _append(self, path: str, line: str) -> str: ...

    def record_max_for(self, path: str) -> int:
        """The largest payload one append to ``path`` may carry here.

        Over the console (TCP, and REST through the gateway's console), host tickets and receipts
        may fill the whole console line, as the guest allows (docs/HOST.md; the SDK's
        ``consoleRecordMax``); every other file takes ``console.echo_max``.
        """
        if self.record_max == g.CONSOLE_ECHO_MAX and path.startswith(g.HOST_MOUNT_AT + "/tickets/"):
            return g.CONSOLE_LINE_MAX - len(f"ECHO {path} ".encode())
        return self.record_max

    def write_append(self, path: str, line: str) -> str:
        check_path(path)
        text = check_line(line)
        n = len(text.encode())
        limit = self.record_max_for(path)
        if n > limit:
            raise CohesixError(
                f"ECHO {path}: payload is {n} bytes; {self.name} carries at most {limit} per append"
                + (" (the console line; use a Secure9P mount for longer lines)" if self.record_max == g.CONSOLE_ECHO_MAX else "")
            )
        return self._append(path, text)

    def read_file(self, path: str, max_bytes: int) -> str:
        return "\n".join(self.read_lines(path, max_bytes))

    def tail_file(self, path: str, max_bytes: int) -> str:
        return "\n".join(self.tail_lines(path, max_bytes))

    def close(self) -> None:  # noqa: B027 - most backends hold nothing
        pass

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def check_max_bytes(path: str, lines: list[str], max_bytes: int, verb: str = "read") -> list[str]:
    if max_bytes <= 0:
        raise CohesixError(f"{verb} {path}: max_bytes must be > 0")
    size = len("\n".join(lines).encode())
    if size > max_bytes:
        raise CohesixError(f"{verb} {path} exceeds max bytes {max_bytes} ({size} bytes); raise max_bytes or use tail")
    return lines


def ok_echo(path: str, line: str) -> str:
    return f"OK ECHO path={path} bytes={len(line.encode())}"
