"""The one exception type of the client: every refusal says what happened and what to do."""

from __future__ import annotations


class CohesixError(Exception):
    """A refused or failed operation.

    ``ack`` carries the hive's own acknowledgement line (``ERR ECHO reason=… detail=…``) when
    the refusal came from the guest, so callers can branch on it without parsing the message.
    """

    def __init__(self, message: str, *, ack: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.ack = ack
        self.status = status


class TransportError(CohesixError):
    """The connection to the hive failed (refused, reset, timed out)."""


class UncertainWriteError(CohesixError):
    """A write may or may not have reached the hive; it was not resent (check /audit/journal)."""
