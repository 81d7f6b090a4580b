"""Expert annotation: a checked file of statements (:mod:`~kg.annotations.fileformat`), kept with their
provenance in a named graph of the embedded store (:mod:`~kg.annotations.graph`), and what the linker
and the classifier take from them (:mod:`~kg.annotations.hooks`)."""
