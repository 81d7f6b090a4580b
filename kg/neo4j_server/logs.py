"""Reading the tail of the local Neo4j server's logs for error messages."""

from __future__ import annotations

import re
from pathlib import Path

from kg.neo4j_server import config

LOG_TAIL_LINES = 8
_STACK_FRAME = re.compile(r"^(at |\.\.\. \d+ more)")
_ERROR_WORD = re.compile(r"error|exception|caused by|fail", re.IGNORECASE)


def log_sizes(layout: config.ServerLayout) -> dict[Path, int]:
    """Current sizes of the console and server logs (to read only what a start adds)."""
    return {path: path.stat().st_size if path.exists() else 0
            for path in (layout.console_log, layout.server_log)}


def log_tail(layout: config.ServerLayout, since: dict[Path, int] | None = None,
             lines: int = LOG_TAIL_LINES) -> str:
    """The telling last lines of the console and server logs, joined with `` | ``.

    Stack-trace frames are dropped; the first line that mentions an error or
    exception is kept even when it is not among the last lines.

    Args:
        layout (ServerLayout): The server's files.
        since (dict[Path, int], optional): Byte offsets to read from (see :func:`log_sizes`).
            (default: whole files)
        lines (int): Maximum number of lines. (default: 8)
    """
    picked: list[str] = []
    for path in (layout.console_log, layout.server_log):
        try:
            with open(path, "rb") as handle:
                handle.seek((since or {}).get(path, 0))
                text = handle.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            continue
        printable = "".join(ch for ch in text if ch.isprintable() or ch == "\n")
        body = [" ".join(line.split())[:300] for line in printable.splitlines()]
        body = [line for line in body if line and not _STACK_FRAME.match(line)]
        tail = body[-(lines // 2):]
        first_error = next((line for line in body if _ERROR_WORD.search(line)), None)
        if first_error is not None and first_error not in tail:
            tail = [first_error, *tail[1:]]
        picked += tail
    return " | ".join(picked) or "(no log output)"
