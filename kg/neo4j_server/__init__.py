"""A real Neo4j 5.26 LTS server for kgft, resolved from Maven Central and run on Java 17+."""

from kg.neo4j_server.config import ServerLayout
from kg.neo4j_server.logs import log_sizes, log_tail
from kg.neo4j_server.process import start, status, stop
from kg.neo4j_server.resolve import DEFAULT_NEO4J_VERSION, neo4j_version, resolve_classpath
from kg.neo4j_server.state import ServerStatus

__all__ = [
    "DEFAULT_NEO4J_VERSION",
    "ServerLayout",
    "ServerStatus",
    "log_sizes",
    "log_tail",
    "neo4j_version",
    "resolve_classpath",
    "start",
    "status",
    "stop",
]
