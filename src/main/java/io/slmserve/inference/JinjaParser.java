package io.slmserve.inference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Parser and evaluator behind {@link ChatTemplate}; package-private, the subset is documented there. */
final class JinjaParser {

    private record Text(String value) { }

    private record Output(String expr) { }

    private record For(String var, String iterable, List<Object> body) { }

    private record If(List<String> conditions, List<List<Object>> branches) { }

    private final String src;
    private int pos;

    JinjaParser(String src) {
        this.src = src;
    }

    List<Object> parse() {
        List<Object> nodes = new ArrayList<>();
        String end = block(nodes);
        if (end != null) {
            throw new IllegalArgumentException("unexpected {% " + end + " %}");
        }
        return nodes;
    }

    /** Parses nodes until a closing statement (endfor, endif, elif, else), which it returns; null at the end. */
    private String block(List<Object> nodes) {
        while (pos < src.length()) {
            int next = nextTag(pos);
            if (next < 0) {
                nodes.add(new Text(src.substring(pos)));
                pos = src.length();
                break;
            }
            String text = src.substring(pos, next);
            boolean trimLeft = src.startsWith("-", next + 2);
            nodes.add(new Text(trimLeft ? text.stripTrailing() : text));
            boolean expr = src.startsWith("{{", next);
            int close = src.indexOf(expr ? "}}" : "%}", next + 2);
            if (close < 0) {
                throw new IllegalArgumentException("unclosed tag at " + next);
            }
            String inner = src.substring(next + (trimLeft ? 3 : 2), close);
            boolean trimRight = inner.endsWith("-");
            inner = (trimRight ? inner.substring(0, inner.length() - 1) : inner).trim();
            pos = close + 2;
            if (trimRight) {
                while (pos < src.length() && Character.isWhitespace(src.charAt(pos))) {
                    pos++;
                }
            }
            if (expr) {
                nodes.add(new Output(inner));
                continue;
            }
            String statement = statement(inner, nodes);
            if (statement != null) {
                return statement;
            }
        }
        return null;
    }

    private String statement(String inner, List<Object> nodes) {
        if (inner.startsWith("for ")) {
            String[] parts = inner.substring(4).split("\\s+in\\s+", 2);
            if (parts.length != 2 || !parts[0].trim().matches("[A-Za-z_]\\w*")) {
                throw new IllegalArgumentException("unsupported for: " + inner);
            }
            List<Object> body = new ArrayList<>();
            expectEnd(block(body), "endfor");
            nodes.add(new For(parts[0].trim(), parts[1].trim(), body));
            return null;
        }
        if (inner.startsWith("if ")) {
            List<String> conditions = new ArrayList<>();
            List<List<Object>> branches = new ArrayList<>();
            String condition = inner.substring(3).trim();
            while (true) {
                List<Object> body = new ArrayList<>();
                String end = block(body);
                conditions.add(condition);
                branches.add(body);
                if (end == null) {
                    throw new IllegalArgumentException("missing endif");
                } else if (end.startsWith("elif ")) {
                    condition = end.substring(5).trim();
                } else if (end.equals("else")) {
                    condition = "true";
                } else {
                    expectEnd(end, "endif");
                    break;
                }
            }
            nodes.add(new If(conditions, branches));
            return null;
        }
        if (inner.equals("endfor") || inner.equals("endif") || inner.equals("else") || inner.startsWith("elif ")) {
            return inner;
        }
        throw new IllegalArgumentException("unsupported statement {% " + inner + " %}");
    }

    private static void expectEnd(String end, String expected) {
        if (!expected.equals(end)) {
            throw new IllegalArgumentException("expected {% " + expected + " %}, found " + end);
        }
    }

    private int nextTag(int from) {
        int a = src.indexOf("{{", from);
        int b = src.indexOf("{%", from);
        return a < 0 ? b : b < 0 ? a : Math.min(a, b);
    }

    static void render(List<Object> nodes, Map<String, Object> scope, StringBuilder out) {
        for (Object node : nodes) {
            if (node instanceof Text t) {
                out.append(t.value());
            } else if (node instanceof Output o) {
                Object value = new JinjaExpression(o.expr(), scope).evaluate();
                out.append(value == null ? "" : value.toString());
            } else if (node instanceof For f) {
                Object items = new JinjaExpression(f.iterable(), scope).evaluate();
                if (!(items instanceof List<?> list)) {
                    throw new IllegalArgumentException(f.iterable() + " is not a list");
                }
                for (int i = 0; i < list.size(); i++) {
                    Map<String, Object> inner = new HashMap<>(scope);
                    inner.put(f.var(), list.get(i));
                    inner.put("loop", Map.of("index0", i, "index", i + 1, "first", i == 0,
                            "last", i == list.size() - 1, "length", list.size()));
                    render(f.body(), inner, out);
                }
            } else if (node instanceof If c) {
                for (int i = 0; i < c.conditions().size(); i++) {
                    if (JinjaExpression.truthy(new JinjaExpression(c.conditions().get(i), scope).evaluate())) {
                        render(c.branches().get(i), scope, out);
                        break;
                    }
                }
            } else {
                throw new IllegalStateException(Objects.toString(node));
            }
        }
    }
}
