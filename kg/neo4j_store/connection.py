"""Driver errors turned into kgft errors, one readable line each."""

from __future__ import annotations

import contextlib
from typing import Iterator

from core.errors import Neo4jUnavailable, StoreError

RESUME_HINT = "check the server (`kgft neo4j status`) and rerun: the import resumes from its last committed batch"


@contextlib.contextmanager
def translate_errors(uri: str, action: str) -> Iterator[None]:
    """Re-raise ``neo4j`` driver errors as :class:`Neo4jUnavailable` or :class:`StoreError`.

    Args:
        uri (str): The server URI, for the message (never the credentials).
        action (str): What was being done (``"importing pizza.owl"``).

    Raises:
        Neo4jUnavailable: the connection dropped, the server is down, the driver
            was closed or the login was refused.
        StoreError: the server refused a statement.
    """
    from neo4j import exceptions as nex

    try:
        yield
    except nex.AuthError as exc:
        raise Neo4jUnavailable(
            f"Neo4j at {uri} refused the login while {action}", hint="check NEO4J_USERNAME and NEO4J_PASSWORD"
        ) from exc
    except (nex.ServiceUnavailable, nex.SessionExpired, nex.IncompleteCommit, OSError) as exc:
        raise Neo4jUnavailable(f"lost the connection to Neo4j at {uri} while {action}", hint=RESUME_HINT) from exc
    except nex.Neo4jError as exc:
        raise StoreError(f"Neo4j refused a statement while {action}: {exc.code}: {exc.message}") from exc
    except nex.DriverError as exc:
        raise Neo4jUnavailable(
            f"the connection to Neo4j at {uri} is closed or broken while {action} ({exc})", hint=RESUME_HINT
        ) from exc
