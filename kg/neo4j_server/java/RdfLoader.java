package org.kgft.neo4j;

import java.util.Set;
import java.util.stream.Stream;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

/**
 * {@code kgft.importNTriples}: kgft's in-server RDF loader, called over Bolt.
 *
 * <p>The client ({@code kg.neo4j_store}) parses the file, scopes its blank nodes
 * and sends each batch as N-Triples text; this procedure groups and writes it
 * in the caller's transaction, so the batch still commits together with its
 * checkpoint. It writes exactly what the Cypher statements of
 * {@code kg.neo4j_store.write} write, without planning and running a Cypher
 * pipeline per statement. Error messages start with a marker the client maps
 * to its own exceptions; those exceptions have no cause, because Neo4j sends
 * the client only the message of the root cause.
 */
public class RdfLoader {

    /** The batch is not valid N-Triples (a client bug: it sends parsed, re-serialized text). */
    static final String PARSE_ERROR = "kgft-parse-error: ";
    /** An IRI or language tag cannot become a graph token (the client's StoreError). */
    static final String STORE_ERROR = "kgft-store-error: ";
    /** Another writer created or deleted one of the batch's nodes meanwhile: write it again with MERGE. */
    static final String RETRY = "kgft-retry: ";

    @Context
    public Transaction tx;

    /** The procedure's one output row. */
    public static class Output {
        /** Triples in the batch. */
        public long triples;
        /** Triples new to the graph (labels, values and relationships created). */
        public long added;

        public Output(long triples, long added) {
            this.triples = triples;
            this.added = added;
        }
    }

    @Procedure(name = "kgft.importNTriples", mode = Mode.WRITE)
    @Description("kgft.importNTriples(text, keepLang) :: (triples, added) - write N-Triples text into the n10s-style "
            + "graph with MERGE semantics, in the caller's transaction")
    public Stream<Output> importNTriples(
            @Name("text") String text, @Name(value = "keepLang", defaultValue = "false") boolean keepLang) {
        if (text == null) {
            throw new IllegalArgumentException(PARSE_ERROR + "no text");
        }
        TripleGroups groups = new TripleGroups(keepLang);
        long triples = NTriplesParser.parse(text, groups);
        long added;
        try {
            added = new GraphWriter(tx).write(groups);
        } catch (Exception e) { // Neo4j rethrows some kernel exceptions unchecked, without declaring them
            if (concurrentChange(e)) {
                // No cause: Neo4j reports only the root cause's message to the client.
                throw new IllegalStateException(RETRY + e);
            }
            throw e;
        }
        return Stream.of(new Output(triples, added));
    }

    /** Exceptions (by simple class name, anywhere in the cause chain) that another writer's commit causes. */
    private static final Set<String> CONCURRENT = Set.of(
            "ConstraintViolationException", "NotFoundException", "IndexEntryConflictException",
            "UniquePropertyValueValidationException", "EntityNotFoundException");

    /** Whether {@code e} comes from another writer creating or deleting one of the batch's nodes meanwhile. */
    static boolean concurrentChange(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (CONCURRENT.contains(t.getClass().getSimpleName())) {
                return true;
            }
        }
        return false;
    }
}
