package io.slmserve.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's json.dumps as transformers' tojson filter calls it: ensure_ascii false by default, indent (spaces or
 * a string), separators (default ", " and ": ", or "," when indented), sort_keys.
 */
final class PyJson {

    private final String indent;
    private final String itemSeparator;
    private final String keySeparator;
    private final boolean sortKeys;
    private final boolean ensureAscii;

    PyJson(Object indent, Object separators, boolean sortKeys, boolean ensureAscii) {
        this.indent = indent == null ? null : indent instanceof String s ? s : " ".repeat((int) PyValues.asLong(indent));
        if (separators instanceof List<?> seps && seps.size() == 2) {
            this.itemSeparator = PyMethods.string(seps.get(0));
            this.keySeparator = PyMethods.string(seps.get(1));
        } else if (separators == null) {
            this.itemSeparator = this.indent == null ? ", " : ",";
            this.keySeparator = ": ";
        } else {
            throw TemplateRenderException.error("tojson: separators must be a (item, key) pair");
        }
        this.sortKeys = sortKeys;
        this.ensureAscii = ensureAscii;
    }

    String dump(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, 0);
        return sb.toString();
    }

    private void write(StringBuilder sb, Object v, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l);
        } else if (v instanceof Double d) {
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : PyValues.floatRepr(d));
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i > 0 ? itemSeparator : "");
                newline(sb, level + 1);
                write(sb, l.get(i), level + 1);
            }
            newline(sb, level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) {
                entries.sort((a, b) -> PyValues.compare(a.getKey(), b.getKey(), "<"));
            }
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                sb.append(first ? "" : itemSeparator);
                first = false;
                newline(sb, level + 1);
                string(sb, key(e.getKey()));
                sb.append(keySeparator);
                write(sb, e.getValue(), level + 1);
            }
            newline(sb, level);
            sb.append('}');
        } else {
            throw TemplateRenderException.error("Object of type " + PyValues.typeName(v) + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        if (k instanceof String s) {
            return s;
        }
        if (k == null) {
            return "null";
        }
        if (k instanceof Boolean b) {
            return b ? "true" : "false";
        }
        if (k instanceof Long || k instanceof Double) {
            return PyValues.repr(k);
        }
        throw TemplateRenderException.error("keys must be str, int, float, bool or None, not " + PyValues.typeName(k));
    }

    private void newline(StringBuilder sb, int level) {
        if (indent != null) {
            sb.append('\n').append(indent.repeat(level));
        }
    }

    private void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
