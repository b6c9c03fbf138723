package io.slmserve.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** jinja2's built-in filters that chat templates use, with transformers' tojson. Unknown names fail. */
final class Filters {

    private Filters() {
    }

    static Object apply(String name, Object v, List<Object> a, Map<String, Object> k) {
        return switch (name) {
            // transformers' signature: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
            case "tojson" -> new PyJson(opt(a, k, 1, "indent", null), opt(a, k, 2, "separators", null),
                    PyValues.truthy(opt(a, k, 3, "sort_keys", false)),
                    PyValues.truthy(opt(a, k, 0, "ensure_ascii", false))).dump(v);
            case "trim" -> PyStrings.strip(PyValues.str(v), optStr(opt(a, k, 0, "chars", null)), true, true);
            case "length", "count" -> PyValues.length(v);
            case "upper" -> PyValues.str(v).toUpperCase();
            case "lower" -> PyValues.str(v).toLowerCase();
            case "capitalize" -> PyStrings.capitalize(PyValues.str(v));
            case "title" -> title(PyValues.str(v));
            case "string" -> PyValues.str(v);
            case "safe", "e", "escape" -> name.equals("safe") ? v : escape(PyValues.str(v));
            case "replace" -> PyMethods.bind(PyValues.str(v), "replace").call(a, k);
            case "join" -> join(v, PyValues.str(opt(a, k, 0, "d", "")), opt(a, k, 1, "attribute", null));
            case "first" -> {
                List<Object> items = PyValues.iterate(v);
                yield items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.get(0);
            }
            case "last" -> {
                List<Object> items = PyValues.iterate(v);
                yield items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.get(items.size() - 1);
            }
            case "default", "d" -> {
                boolean onFalsy = PyValues.truthy(opt(a, k, 1, "boolean", false));
                yield v instanceof Undefined || (onFalsy && !PyValues.truthy(v)) ? opt(a, k, 0, "default_value", "") : v;
            }
            case "items" -> {
                if (v instanceof Undefined) {
                    yield new ArrayList<>();
                }
                if (!(v instanceof Map)) {
                    throw TemplateRenderException.error("Can only get item pairs from a mapping.");
                }
                yield PyMethods.bind(v, "items").call(List.of(), Map.of());
            }
            case "list" -> PyValues.iterate(v);
            case "reverse" -> v instanceof String ? PyValues.slice(v, null, null, -1L) : reversed(v);
            case "int" -> toInt(v, opt(a, k, 0, "default", 0L));
            case "float" -> toFloat(v, opt(a, k, 0, "default", 0.0));
            case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(PyValues.asLong(v));
            case "indent" -> indent(PyValues.str(v), opt(a, k, 0, "width", 4L),
                    PyValues.truthy(opt(a, k, 1, "first", false)), PyValues.truthy(opt(a, k, 2, "blank", false)));
            case "unique" -> {
                List<Object> out = new ArrayList<>();
                for (Object x : PyValues.iterate(v)) {
                    if (out.stream().noneMatch(y -> PyValues.equal(x, y))) {
                        out.add(x);
                    }
                }
                yield out;
            }
            case "sum" -> {
                Object total = opt(a, k, 1, "start", 0L);
                for (Object x : PyValues.iterate(v)) {
                    total = Operators.binary("+", total, x);
                }
                yield total;
            }
            case "wordcount" -> (long) PyStrings.split(PyValues.str(v), null, -1).size();
            case "dictsort" -> {
                List<Object> items = new ArrayList<>((List<?>) PyMethods.bind(v, "items").call(List.of(), Map.of()));
                items.sort((x, y) -> PyValues.compare(((List<?>) x).get(0), ((List<?>) y).get(0), "<"));
                yield items;
            }
            case "map", "select", "reject", "selectattr", "rejectattr" ->
                    throw new IllegalStateException("higher-order filter " + name + " is evaluated by the caller");
            default -> throw TemplateRenderException.error("no filter named '" + name + "'");
        };
    }

    static boolean known(String name) {
        return switch (name) {
            case "tojson", "trim", "length", "count", "upper", "lower", "capitalize", "title", "string", "safe", "e",
                    "escape", "replace", "join", "first", "last", "default", "d", "items", "list", "reverse", "int",
                    "float", "abs", "indent", "unique", "sum", "wordcount", "dictsort", "map", "select", "reject",
                    "selectattr", "rejectattr" -> true;
            default -> false;
        };
    }

    static Object opt(List<Object> a, Map<String, Object> k, int index, String key, Object fallback) {
        if (index < a.size()) {
            return a.get(index);
        }
        return k.containsKey(key) ? k.get(key) : fallback;
    }

    private static String optStr(Object v) {
        return v == null ? null : PyValues.str(v);
    }

    private static String join(Object v, String sep, Object attribute) {
        StringBuilder sb = new StringBuilder();
        List<Object> items = PyValues.iterate(v);
        for (int i = 0; i < items.size(); i++) {
            Object item = attribute == null ? items.get(i) : PyValues.item(items.get(i), attribute);
            sb.append(i > 0 ? sep : "").append(PyValues.str(item));
        }
        return sb.toString();
    }

    private static List<Object> reversed(Object v) {
        List<Object> items = PyValues.iterate(v);
        java.util.Collections.reverse(items);
        return items;
    }

    /** jinja2's title filter: upper-case after runs of "-", whitespace and opening brackets. */
    private static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean start = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean boundary = c == '-' || PyStrings.isSpace(c) || c == '(' || c == '{' || c == '[' || c == '<';
            sb.append(boundary ? c : start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = boundary;
        }
        return sb.toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;")
                .replace("'", "&#39;");
    }

    private static Object toInt(Object v, Object fallback) {
        if (v instanceof Boolean || v instanceof Long) {
            return PyValues.asLong(v);
        }
        if (v instanceof Double d) {
            return (long) d.doubleValue();
        }
        if (v instanceof String s) {
            try {
                return Long.parseLong(s.strip().replace("_", ""));
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(s.strip());
                } catch (NumberFormatException e2) {
                    return fallback;
                }
            }
        }
        return fallback;
    }

    private static Object toFloat(Object v, Object fallback) {
        if (PyValues.isNumber(v)) {
            return PyValues.asDouble(v);
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s.strip());
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    /** jinja2 3.1's indent: lines after the first get the prefix; blank lines only when {@code blank}. */
    private static String indent(String s, Object width, boolean first, boolean blank) {
        String prefix = width instanceof String w ? w : " ".repeat((int) PyValues.asLong(width));
        List<String> lines = PyStrings.splitLines(s + "\n");
        String rv;
        if (blank) {
            rv = String.join("\n" + prefix, lines);
        } else {
            StringBuilder sb = new StringBuilder(lines.isEmpty() ? "" : lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                String line = lines.get(i);
                sb.append('\n').append(line.isEmpty() ? line : prefix + line);
            }
            rv = sb.toString();
        }
        return first ? prefix + rv : rv;
    }
}
