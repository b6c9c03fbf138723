package io.slmserve.inference;

import java.util.List;
import java.util.Map;

/** Evaluates one Jinja expression of the {@link ChatTemplate} subset by recursive descent. */
final class JinjaExpression {

    private final String src;
    private final Map<String, Object> scope;
    private int pos;

    JinjaExpression(String src, Map<String, Object> scope) {
        this.src = src;
        this.scope = scope;
    }

    Object evaluate() {
        Object value = or();
        skip();
        if (pos != src.length()) {
            throw new IllegalArgumentException("unsupported expression: " + src);
        }
        return value;
    }

    static boolean truthy(Object v) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Number n) {
            return n.doubleValue() != 0;
        }
        return true;
    }

    private Object or() {
        Object left = and();
        while (word("or")) {
            Object right = and();
            left = truthy(left) || truthy(right);
        }
        return left;
    }

    private Object and() {
        Object left = not();
        while (word("and")) {
            Object right = not();
            left = truthy(left) && truthy(right);
        }
        return left;
    }

    private Object not() {
        return word("not") ? !truthy(not()) : comparison();
    }

    private Object comparison() {
        Object left = sum();
        if (symbol("==")) {
            return java.util.Objects.equals(left, sum());
        }
        if (symbol("!=")) {
            return !java.util.Objects.equals(left, sum());
        }
        return left;
    }

    private Object sum() {
        Object left = filtered();
        while (symbol("+")) {
            Object right = filtered();
            left = (left == null ? "" : left.toString()) + (right == null ? "" : right.toString());
        }
        return left;
    }

    private Object filtered() {
        Object value = postfix();
        while (symbol("|")) {
            if (!word("trim")) {
                throw new IllegalArgumentException("unsupported filter in: " + src);
            }
            value = value == null ? "" : value.toString().strip();
        }
        return value;
    }

    private Object postfix() {
        Object value = atom();
        while (true) {
            if (symbol(".")) {
                value = member(value, identifier());
            } else if (symbol("[")) {
                Object key = or();
                expect("]");
                value = value instanceof List<?> l && key instanceof Integer i ? l.get(i) : member(value, key);
            } else {
                return value;
            }
        }
    }

    private Object atom() {
        skip();
        if (pos >= src.length()) {
            throw new IllegalArgumentException("unexpected end of expression: " + src);
        }
        char c = src.charAt(pos);
        if (c == '\'' || c == '"') {
            return string(c);
        }
        if (symbol("(")) {
            Object v = or();
            expect(")");
            return v;
        }
        if (Character.isDigit(c)) {
            int start = pos;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
            return Integer.parseInt(src.substring(start, pos));
        }
        String name = identifier();
        return switch (name) {
            case "true", "True" -> true;
            case "false", "False" -> false;
            case "none", "None" -> null;
            default -> {
                if (!scope.containsKey(name)) {
                    throw new IllegalArgumentException("unknown variable '" + name + "'");
                }
                yield scope.get(name);
            }
        };
    }

    private static Object member(Object target, Object key) {
        if (target instanceof Map<?, ?> map) {
            return map.get(key);
        }
        throw new IllegalArgumentException("cannot read '" + key + "' of " + target);
    }

    private String string(char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (pos < src.length() && src.charAt(pos) != quote) {
            char c = src.charAt(pos++);
            if (c == '\\' && pos < src.length()) {
                char e = src.charAt(pos++);
                sb.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    default -> e;
                });
            } else {
                sb.append(c);
            }
        }
        expect(String.valueOf(quote));
        return sb.toString();
    }

    private String identifier() {
        skip();
        int start = pos;
        while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
            pos++;
        }
        if (start == pos) {
            throw new IllegalArgumentException("unsupported expression: " + src);
        }
        return src.substring(start, pos);
    }

    private boolean word(String w) {
        skip();
        int end = pos + w.length();
        if (src.startsWith(w, pos) && (end == src.length() || !Character.isLetterOrDigit(src.charAt(end)))) {
            pos = end;
            return true;
        }
        return false;
    }

    private boolean symbol(String s) {
        skip();
        if (src.startsWith(s, pos)) {
            pos += s.length();
            return true;
        }
        return false;
    }

    private void expect(String s) {
        if (!symbol(s)) {
            throw new IllegalArgumentException("expected '" + s + "' in: " + src);
        }
    }

    private void skip() {
        while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }
}
