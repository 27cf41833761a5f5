"""Audit lines a client run leaves behind: the acknowledgements, in cohsh's grammar."""

from __future__ import annotations


class CohesixAudit:
    """Collects ``OK|ERR <VERB>[ <detail>]`` lines (what cohsh would print for the same run)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def push_ack(self, status: str, verb: str, detail: str | None = None) -> None:
        if status not in ("OK", "ERR"):
            raise ValueError(f"audit status must be OK or ERR, got {status!r}")
        self.lines.append(f"{status} {verb.upper()}" + (f" {detail}" if detail else ""))

    def push_line(self, line: str) -> None:
        self.lines.append(line)

    def text(self) -> str:
        """The lines newline-terminated (the layout of audit.txt)."""
        return "".join(f"{line}\n" for line in self.lines)
