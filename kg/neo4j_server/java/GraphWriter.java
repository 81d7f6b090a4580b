package org.kgft.neo4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterable;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Transaction;

/**
 * Writes one {@link TripleGroups} into a transaction with MERGE semantics: the
 * in-process twin of the fresh path of {@code kg.neo4j_store.write}.
 *
 * <p>Every node is looked up on the indexed {@code uri}; a missing one is
 * created with its labels and literal lists, a found one gets the labels and
 * values it lacks. A relationship with an endpoint created here is created;
 * between two found nodes it is created only if no relationship of its type
 * joins them yet (both endpoints locked first, walking the lower-degree side).
 * The count returned is the number of triples new to the graph.
 */
final class GraphWriter {

    static final Label RESOURCE = Label.label("Resource");
    static final Label KEY = Label.label("_KgftKey");

    /** Outgoing relationships of one type walked from the subject before comparing degrees. */
    static final int WALK_LIMIT = 64;

    private final Transaction tx;
    private final Map<String, Label> labels = new HashMap<>();

    GraphWriter(Transaction tx) {
        this.tx = tx;
    }

    long write(TripleGroups groups) {
        long added = 0;
        for (TripleGroups.NodeRow row : groups.nodes.values()) {
            Node node = tx.findNode(RESOURCE, "uri", row.uri);
            if (node == null) {
                row.node = create(row);
                row.created = true;
                added += row.classes.size();
                for (Set<String> values : row.values.values()) {
                    added += values.size();
                }
            } else {
                row.node = node;
                added += append(node, row);
            }
        }
        for (Map.Entry<String, ? extends Set<TripleGroups.Pair>> entry : groups.rels.entrySet()) {
            RelationshipType type = RelationshipType.withName(entry.getKey());
            for (TripleGroups.Pair pair : entry.getValue()) {
                TripleGroups.NodeRow s = pair.subject();
                TripleGroups.NodeRow o = pair.object();
                if (s.created || o.created || !connected(s.node, o.node, type)) {
                    s.node.createRelationshipTo(o.node, type);
                    added++;
                }
            }
        }
        registerKeys(groups.keys);
        return added;
    }

    private Label label(String name) {
        return labels.computeIfAbsent(name, Label::label);
    }

    private Node create(TripleGroups.NodeRow row) {
        Label[] nodeLabels = new Label[row.classes.size() + 1];
        nodeLabels[0] = RESOURCE;
        int i = 1;
        for (String cls : row.classes) {
            nodeLabels[i++] = label(cls);
        }
        Node node = tx.createNode(nodeLabels);
        node.setProperty("uri", row.uri);
        for (Map.Entry<String, ? extends Set<String>> entry : row.values.entrySet()) {
            node.setProperty(entry.getKey(), entry.getValue().toArray(new String[0]));
        }
        return node;
    }

    /** Adds the labels and values {@code node} lacks; returns how many. */
    private long append(Node node, TripleGroups.NodeRow row) {
        long added = 0;
        for (String cls : row.classes) {
            Label l = label(cls);
            if (!node.hasLabel(l)) {
                node.addLabel(l);
                added++;
            }
        }
        for (Map.Entry<String, ? extends Set<String>> entry : row.values.entrySet()) {
            String[] old = strings(node.getProperty(entry.getKey(), null));
            Set<String> have = new HashSet<>(Arrays.asList(old));
            List<String> merged = new ArrayList<>(Arrays.asList(old));
            for (String value : entry.getValue()) {
                if (have.add(value)) {
                    merged.add(value);
                }
            }
            if (merged.size() > old.length) {
                node.setProperty(entry.getKey(), merged.toArray(new String[0]));
                added += merged.size() - old.length;
            }
        }
        return added;
    }

    /** A stored property value as strings (kgft writes string arrays; other values are read as text). */
    private static String[] strings(Object value) {
        if (value == null) {
            return new String[0];
        }
        if (value instanceof String[] array) {
            return array;
        }
        if (value.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(value);
            String[] out = new String[n];
            for (int i = 0; i < n; i++) {
                out[i] = String.valueOf(java.lang.reflect.Array.get(value, i));
            }
            return out;
        }
        return new String[] {String.valueOf(value)};
    }

    /**
     * Whether {@code s -[type]-> o} exists; locks both nodes first, as Cypher MERGE does.
     *
     * <p>Walks the subject's outgoing relationships of the type (RDF subjects rarely
     * have many); past {@link #WALK_LIMIT} of them, walks the object's incoming ones
     * instead if there are fewer.
     */
    private boolean connected(Node s, Node o, RelationshipType type) {
        tx.acquireWriteLock(s);
        tx.acquireWriteLock(o);
        try (ResourceIterable<Relationship> rels = s.getRelationships(Direction.OUTGOING, type);
                ResourceIterator<Relationship> it = rels.iterator()) {
            for (int seen = 0; it.hasNext(); seen++) {
                if (seen == WALK_LIMIT && o.getDegree(type, Direction.INCOMING) < s.getDegree(type, Direction.OUTGOING)) {
                    return hasIncomingFrom(o, s, type);
                }
                if (it.next().getEndNode().equals(o)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean hasIncomingFrom(Node o, Node s, RelationshipType type) {
        try (ResourceIterable<Relationship> rels = o.getRelationships(Direction.INCOMING, type)) {
            for (Relationship rel : rels) {
                if (rel.getStartNode().equals(s)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** MERGEs the {@code _KgftKey} registry rows of the keys used. */
    private void registerKeys(Map<String, TripleGroups.KeyInfo> keys) {
        for (Map.Entry<String, TripleGroups.KeyInfo> entry : keys.entrySet()) {
            if (tx.findNode(KEY, "key", entry.getKey()) != null) {
                continue;
            }
            Node node = tx.createNode(KEY);
            node.setProperty("key", entry.getKey());
            TripleGroups.KeyInfo info = entry.getValue();
            node.setProperty("predicate", info.predicate());
            if (info.datatype() != null) {
                node.setProperty("datatype", info.datatype());
            }
            if (info.lang() != null) {
                node.setProperty("lang", info.lang());
            }
        }
    }
}
