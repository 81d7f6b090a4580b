package org.kgft.neo4j;

/**
 * A strict N-Triples parser for the text kgft sends (pyoxigraph's serialization).
 *
 * <p>Accepts full N-Triples 1.1 (comments, blank lines, spaces or tabs between
 * terms, {@code \\u}/{@code \\U} escapes in IRIs, every string escape), so it
 * never depends on how the client formats its lines. Blank nodes become
 * {@code bnode://<label>} node uris, as in n10s.
 */
final class NTriplesParser {

    /** Receives each parsed triple. */
    interface Sink {
        /**
         * One triple.
         *
         * @param subject the subject's node uri
         * @param predicate the predicate IRI
         * @param object the object: a node uri when {@code literal} is false, else the lexical form
         * @param literal whether the object is a literal
         * @param datatype the literal's datatype IRI, or null (plain or language-tagged)
         * @param lang the literal's language tag (lowercased), or null
         */
        void triple(String subject, String predicate, String object, boolean literal, String datatype, String lang);
    }

    static final String BNODE_PREFIX = "bnode://";

    private final String text;
    private final int end;
    private int pos;
    private int line = 1;

    private NTriplesParser(String text) {
        this.text = text;
        this.end = text.length();
    }

    /**
     * Parses {@code text} and feeds every triple to {@code sink}.
     *
     * @return the number of triples
     * @throws IllegalArgumentException on a syntax error, naming the line within {@code text}
     */
    static long parse(String text, Sink sink) {
        return new NTriplesParser(text).run(sink);
    }

    private long run(Sink sink) {
        long count = 0;
        while (pos < end) {
            skipSpace();
            if (pos >= end) {
                break;
            }
            char c = text.charAt(pos);
            if (c == '\n' || c == '\r' || c == '#') {
                skipLine();
                continue;
            }
            String subject = node();
            skipSpace();
            String predicate = iri();
            skipSpace();
            c = peek();
            if (c == '"') {
                String value = literal();
                String datatype = null;
                String lang = null;
                if (pos < end && text.charAt(pos) == '@') {
                    int start = ++pos;
                    while (pos < end && isLangChar(text.charAt(pos))) {
                        pos++;
                    }
                    if (pos == start) {
                        throw error("empty language tag");
                    }
                    lang = text.substring(start, pos).toLowerCase(java.util.Locale.ROOT);
                } else if (pos + 1 < end && text.charAt(pos) == '^' && text.charAt(pos + 1) == '^') {
                    pos += 2;
                    datatype = iri();
                }
                sink.triple(subject, predicate, value, true, datatype, lang);
            } else {
                sink.triple(subject, predicate, node(), false, null, null);
            }
            skipSpace();
            if (peek() != '.') {
                throw error("expected '.' at the end of the triple");
            }
            pos++;
            skipSpace();
            if (pos < end) {
                c = text.charAt(pos);
                if (c != '\n' && c != '\r' && c != '#') {
                    throw error("unexpected text after the triple");
                }
                skipLine();
            }
            count++;
        }
        return count;
    }

    private static boolean isLangChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    }

    private char peek() {
        if (pos >= end) {
            throw error("unexpected end of the text");
        }
        return text.charAt(pos);
    }

    private void skipSpace() {
        while (pos < end) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t') {
                return;
            }
            pos++;
        }
    }

    private void skipLine() {
        while (pos < end) {
            char c = text.charAt(pos++);
            if (c == '\n') {
                line++;
                return;
            }
            if (c == '\r') {
                if (pos < end && text.charAt(pos) == '\n') {
                    pos++;
                }
                line++;
                return;
            }
        }
    }

    /** An IRI or a blank node, as a node uri. */
    private String node() {
        char c = peek();
        if (c == '<') {
            return iri();
        }
        if (c == '_' && pos + 1 < end && text.charAt(pos + 1) == ':') {
            int start = pos + 2;
            pos = start;
            while (pos < end) {
                c = text.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '<' || c == '"') {
                    break;
                }
                pos++;
            }
            if (pos > start && text.charAt(pos - 1) == '.') {
                pos--; // "_:b1." : the dot ends the triple
            }
            if (pos == start) {
                throw error("empty blank node label");
            }
            return BNODE_PREFIX + text.substring(start, pos);
        }
        throw error("expected an IRI or a blank node");
    }

    private String iri() {
        if (peek() != '<') {
            throw error("expected an IRI");
        }
        int start = ++pos;
        int close = text.indexOf('>', start);
        if (close < 0) {
            throw error("unterminated IRI");
        }
        boolean escaped = false;
        for (int i = start; i < close; i++) {
            if (text.charAt(i) == '\\') {
                escaped = true;
                break;
            }
        }
        if (!escaped) {
            pos = close + 1;
            return text.substring(start, close);
        }
        StringBuilder out = new StringBuilder(close - start);
        while (true) {
            char c = peek();
            pos++;
            if (c == '>') {
                return out.toString();
            }
            if (c == '\\') {
                char kind = peek();
                pos++;
                if (kind == 'u') {
                    out.appendCodePoint(hex(4));
                } else if (kind == 'U') {
                    out.appendCodePoint(hex(8));
                } else {
                    throw error("invalid escape in an IRI");
                }
            } else {
                out.append(c);
            }
        }
    }

    private String literal() {
        int start = ++pos; // after the opening quote
        int i = start;
        while (i < end) {
            char c = text.charAt(i);
            if (c == '"') {
                pos = i + 1;
                return text.substring(start, i);
            }
            if (c == '\\') {
                break;
            }
            if (c == '\n' || c == '\r') {
                throw error("unterminated string");
            }
            i++;
        }
        StringBuilder out = new StringBuilder(text.substring(start, i));
        pos = i;
        while (true) {
            char c = peek();
            pos++;
            switch (c) {
                case '"':
                    return out.toString();
                case '\n':
                case '\r':
                    throw error("unterminated string");
                case '\\':
                    char kind = peek();
                    pos++;
                    switch (kind) {
                        case 't': out.append('\t'); break;
                        case 'b': out.append('\b'); break;
                        case 'n': out.append('\n'); break;
                        case 'r': out.append('\r'); break;
                        case 'f': out.append('\f'); break;
                        case '"': out.append('"'); break;
                        case '\'': out.append('\''); break;
                        case '\\': out.append('\\'); break;
                        case 'u': out.appendCodePoint(hex(4)); break;
                        case 'U': out.appendCodePoint(hex(8)); break;
                        default: throw error("invalid escape \\" + kind);
                    }
                    break;
                default:
                    out.append(c);
            }
        }
    }

    private int hex(int digits) {
        if (pos + digits > end) {
            throw error("truncated \\u escape");
        }
        int value = 0;
        for (int k = 0; k < digits; k++) {
            int d = Character.digit(text.charAt(pos++), 16);
            if (d < 0) {
                throw error("invalid hex digit in a \\u escape");
            }
            value = value * 16 + d;
        }
        if (!Character.isValidCodePoint(value)) {
            throw error("escape is not a Unicode code point");
        }
        return value;
    }

    private IllegalArgumentException error(String reason) {
        return new IllegalArgumentException(RdfLoader.PARSE_ERROR + "line " + line + " of the batch: " + reason);
    }
}
