package org.kgft.neo4j;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One batch of triples grouped per node and per relationship type, deduplicated:
 * the Java twin of {@code kg.neo4j_store.batch.Batch} plus {@code KeyCodec}.
 *
 * <p>The mapping is the n10s one documented in {@code kg.neo4j_store.encode}:
 * {@code rdf:type} to an IRI is a label, a literal is a value of a list-valued
 * property whose key encodes its datatype or kept language tag, anything else
 * is a relationship typed by the predicate IRI. Every IRI that becomes a label,
 * relationship type or property key is validated as {@code check_iri} does.
 */
final class TripleGroups implements NTriplesParser.Sink {

    static final String RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
    static final String XSD_STRING = "http://www.w3.org/2001/XMLSchema#string";
    static final String RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";

    // The same rules as kg.neo4j_store.cypher.check_iri / check_lang.
    private static final Pattern NOT_IN_IRI = Pattern.compile("[\\x00-\\x20<>\"{}|\\\\^`\\x7f-\\x9f]");
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.\\-]*:");
    private static final Pattern LANG = Pattern.compile("^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$");

    /** A node's labels (class IRIs) and literal values, each distinct; the writer fills in its node. */
    static final class NodeRow {
        final String uri;
        final LinkedHashSet<String> classes = new LinkedHashSet<>(2);
        final LinkedHashMap<String, LinkedHashSet<String>> values = new LinkedHashMap<>(4);
        /** The graph node, once looked up or created by {@link GraphWriter}. */
        org.neo4j.graphdb.Node node;
        /** Whether {@link GraphWriter} created the node in this transaction. */
        boolean created;

        NodeRow(String uri) {
            this.uri = uri;
        }
    }

    /** What a property key means: the {@code _KgftKey} registry row. */
    record KeyInfo(String predicate, String datatype, String lang) {}

    /** A relationship's endpoints (rows compare by identity: one row per uri). */
    record Pair(NodeRow subject, NodeRow object) {}

    private record KeySpec(String predicate, String datatype, String lang) {}

    private final boolean keepLang;
    final LinkedHashMap<String, NodeRow> nodes = new LinkedHashMap<>();
    final LinkedHashMap<String, LinkedHashSet<Pair>> rels = new LinkedHashMap<>();
    final LinkedHashMap<String, KeyInfo> keys = new LinkedHashMap<>();
    private final Map<KeySpec, String> keyCache = new HashMap<>();
    private final Set<String> checked = new HashSet<>();

    TripleGroups(boolean keepLang) {
        this.keepLang = keepLang;
    }

    @Override
    public void triple(String s, String p, String o, boolean literal, String datatype, String lang) {
        check(p, "predicate");
        if (literal) {
            String key = key(p, datatype, lang);
            row(s).values.computeIfAbsent(key, k -> new LinkedHashSet<>(2)).add(o);
        } else if (p.equals(RDF_TYPE) && !o.startsWith(NTriplesParser.BNODE_PREFIX)) {
            row(s).classes.add(check(o, "class"));
        } else {
            Pair pair = new Pair(row(s), row(o));
            rels.computeIfAbsent(p, k -> new LinkedHashSet<>()).add(pair);
        }
    }

    private NodeRow row(String uri) {
        NodeRow row = nodes.get(uri);
        if (row == null) {
            row = new NodeRow(uri);
            nodes.put(uri, row);
        }
        return row;
    }

    private String key(String predicate, String datatype, String lang) {
        KeySpec spec = new KeySpec(predicate, datatype, lang);
        String key = keyCache.get(spec);
        if (key != null) {
            return key;
        }
        KeyInfo info;
        if (lang != null && !lang.isEmpty()) {
            if (keepLang) {
                if (!LANG.matcher(lang).matches()) {
                    throw new IllegalArgumentException(RdfLoader.STORE_ERROR + "cannot store language tag '"
                            + lang + "' in Neo4j: not a BCP 47 tag");
                }
                String tag = lang.toLowerCase(java.util.Locale.ROOT);
                info = new KeyInfo(predicate, null, tag);
                key = predicate + "@" + tag;
            } else {
                info = new KeyInfo(predicate, null, null);
                key = predicate;
            }
        } else if (datatype != null && !datatype.equals(XSD_STRING) && !datatype.equals(RDF_LANG_STRING)) {
            info = new KeyInfo(predicate, check(datatype, "datatype"), null);
            key = predicate + "^^" + datatype;
        } else {
            info = new KeyInfo(predicate, null, null);
            key = predicate;
        }
        keyCache.put(spec, key);
        keys.putIfAbsent(key, info);
        return key;
    }

    private String check(String iri, String role) {
        if (checked.contains(iri)) {
            return iri;
        }
        if (!SCHEME.matcher(iri).find() || NOT_IN_IRI.matcher(iri).find()) {
            throw new IllegalArgumentException(RdfLoader.STORE_ERROR + "cannot store " + role + " '" + iri
                    + "' in Neo4j: not an absolute IRI");
        }
        checked.add(iri);
        return iri;
    }
}
