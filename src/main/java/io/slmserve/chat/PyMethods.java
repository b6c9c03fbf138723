package io.slmserve.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The str, dict and list methods chat templates call ({@code content.strip()}, {@code message.get('x')},
 * {@code d.items()}); none that mutate, as transformers' ImmutableSandboxedEnvironment forbids those.
 */
final class PyMethods {

    private PyMethods() {
    }

    /** A bound method of {@code v} called {@code name}, or null when {@code v} has none. */
    static PyCallable bind(Object v, String name) {
        if (v instanceof String s) {
            return stringMethod(s, name);
        }
        if (v instanceof Map<?, ?> m) {
            return dictMethod(m, name);
        }
        if (v instanceof List<?> l) {
            return switch (name) {
                case "index" -> (a, k) -> {
                    for (int i = 0; i < l.size(); i++) {
                        if (PyValues.equal(l.get(i), arg(a, 0, name))) {
                            return (long) i;
                        }
                    }
                    throw TemplateRenderException.error(PyValues.repr(a.get(0)) + " is not in list");
                };
                case "count" -> (a, k) -> l.stream().filter(x -> PyValues.equal(x, arg(a, 0, name))).count();
                default -> null;
            };
        }
        return null;
    }

    private static PyCallable dictMethod(Map<?, ?> m, String name) {
        return switch (name) {
            case "get" -> (a, k) -> {
                Object key = arg(a, 0, name);
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (PyValues.equal(e.getKey(), key)) {
                        return e.getValue();
                    }
                }
                return a.size() > 1 ? a.get(1) : null;
            };
            case "items" -> (a, k) -> {
                List<Object> items = new ArrayList<>();
                m.forEach((key, value) -> items.add(new PyTuple(java.util.Arrays.asList(key, value))));
                return items;
            };
            case "keys" -> (a, k) -> new ArrayList<Object>(m.keySet());
            case "values" -> (a, k) -> new ArrayList<Object>(m.values());
            default -> null;
        };
    }

    private static PyCallable stringMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (a, k) -> PyStrings.strip(s, optString(a, 0), true, true);
            case "lstrip" -> (a, k) -> PyStrings.strip(s, optString(a, 0), true, false);
            case "rstrip" -> (a, k) -> PyStrings.strip(s, optString(a, 0), false, true);
            case "split" -> (a, k) -> PyStrings.split(s, optString(a, 0),
                    a.size() > 1 ? PyValues.asLong(a.get(1)) : k.containsKey("maxsplit")
                            ? PyValues.asLong(k.get("maxsplit")) : -1);
            case "splitlines" -> (a, k) -> new ArrayList<Object>(PyStrings.splitLines(s));
            case "startswith" -> (a, k) -> affix(s, arg(a, 0, name), true);
            case "endswith" -> (a, k) -> affix(s, arg(a, 0, name), false);
            case "upper" -> (a, k) -> s.toUpperCase();
            case "lower" -> (a, k) -> s.toLowerCase();
            case "title" -> (a, k) -> PyStrings.title(s);
            case "capitalize" -> (a, k) -> PyStrings.capitalize(s);
            case "replace" -> (a, k) -> replace(s, string(arg(a, 0, name)), string(arg(a, 1, name)),
                    a.size() > 2 ? PyValues.asLong(a.get(2)) : -1);
            case "find" -> (a, k) -> (long) s.indexOf(string(arg(a, 0, name)));
            case "rfind" -> (a, k) -> (long) s.lastIndexOf(string(arg(a, 0, name)));
            case "count" -> (a, k) -> (long) (PyStrings.split(s, string(arg(a, 0, name)), -1).size() - 1);
            case "join" -> (a, k) -> {
                StringBuilder sb = new StringBuilder();
                List<Object> items = PyValues.iterate(arg(a, 0, name));
                for (int i = 0; i < items.size(); i++) {
                    sb.append(i > 0 ? s : "").append(string(items.get(i)));
                }
                return sb.toString();
            };
            case "isdigit" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(c -> PyStrings.isSpace((char) c));
            case "islower" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase());
            case "isupper" -> (a, k) -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase());
            default -> null;
        };
    }

    private static boolean affix(String s, Object arg, boolean prefix) {
        if (arg instanceof List<?> options) {
            for (Object o : options) {
                if (affix(s, o, prefix)) {
                    return true;
                }
            }
            return false;
        }
        String a = string(arg);
        return prefix ? s.startsWith(a) : s.endsWith(a);
    }

    private static String replace(String s, String old, String replacement, long count) {
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(replacement);
                s.codePoints().forEach(cp -> sb.appendCodePoint(cp).append(replacement));
                return sb.toString();
            }
            return s.replace(old, replacement);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (long done = 0; done < count && !old.isEmpty(); done++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            sb.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    static Object arg(List<Object> args, int i, String method) {
        if (i >= args.size()) {
            throw TemplateRenderException.error(method + "() takes at least " + (i + 1) + " argument(s)");
        }
        return args.get(i);
    }

    private static String optString(List<Object> args, int i) {
        return i < args.size() && args.get(i) != null ? string(args.get(i)) : null;
    }

    static String string(Object v) {
        PyValues.failIfUndefined(v);
        if (!(v instanceof String s)) {
            throw TemplateRenderException.error("expected str, got " + PyValues.typeName(v));
        }
        return s;
    }
}
