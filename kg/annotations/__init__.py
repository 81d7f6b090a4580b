"""Expert annotation: a checked file of statements (:mod:`~kg.annotations.fileformat`), kept with their
provenance in the embedded store (:mod:`~kg.annotations.graph`) or on Neo4j (:mod:`~kg.annotations.neo4j`),
either reached through :mod:`~kg.annotations.backends`, and what the linker, the classifier and
explanations take from them (:mod:`~kg.annotations.hooks`)."""
