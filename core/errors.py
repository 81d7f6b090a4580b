"""Exception types raised by kgft library code.

Library code raises these; only the CLI layer (``cli.py``, ``commands/``) and the benchmark
scripts (through :func:`core.script.run_script`) turn them into a one-line message and a non-zero
exit code. Every message is written for the user: it names the
file, line or setting involved and, where possible, says what to do.
"""

from __future__ import annotations

from pathlib import Path


class KgftError(Exception):
    """Base class of every error kgft reports to the user.

    Args:
        message (str): What went wrong, in one line.
        hint (str, optional): What the user can do about it. (default: ``None``)
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self.user_message())

    def user_message(self) -> str:
        """The one-line message shown to the user (message plus hint)."""
        text = " ".join(str(self.message).split())
        if self.hint:
            text = f"{text} (hint: {' '.join(str(self.hint).split())})"
        return text


class ConfigError(KgftError):
    """An invalid option, configuration file or environment setting."""


class DataError(KgftError):
    """A dataset or file that cannot be found, fetched or read."""


class ChecksumError(DataError):
    """A downloaded or mirrored file whose SHA-256 does not match the registry.

    Args:
        path (Path): The file that was checked (it is not used).
        expected (str): The registry's SHA-256.
        actual (str): The SHA-256 of the file on disk.
        hint (str, optional): What the user can do; the default says the file
            was not used. (default: ``None``)
    """

    def __init__(self, path: Path | str, expected: str, actual: str, hint: str | None = None) -> None:
        self.path = Path(path)
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"checksum mismatch for {self.path}: expected sha256 {expected}, got {actual}",
            hint=hint or "the file was not used; delete it or fix the mirror and fetch again",
        )


class ParseError(KgftError):
    """A syntax error in an ontology or data file.

    Args:
        path (Path or str): The file being read.
        reason (str): What the parser objected to.
        line (int, optional): 1-based line number, when known. (default: ``None``)
        column (int, optional): 1-based column number, when known. (default: ``None``)
        hint (str, optional): What the user can do. (default: ``None``)
    """

    def __init__(
        self,
        path: Path | str,
        reason: str,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.column = column
        where = self.path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {reason}", hint=hint)


class StoreError(KgftError):
    """A graph store that cannot be opened, read or written."""


class Neo4jUnavailable(StoreError):
    """The Neo4j server cannot be reached or refused the credentials."""


class ServerError(KgftError):
    """The local Neo4j server cannot be installed, started or stopped."""


class ModelError(KgftError):
    """A model, checkpoint or run directory that cannot be used."""
