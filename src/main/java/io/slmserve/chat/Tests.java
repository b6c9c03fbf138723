package io.slmserve.chat;

import java.util.List;
import java.util.Map;

/** jinja2's built-in tests ({@code x is defined}, {@code is string}, {@code is equalto 3}...). Unknown names fail. */
final class Tests {

    private Tests() {
    }

    static boolean apply(String name, Object v, List<Object> a) {
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "string" -> v instanceof String;
            case "mapping" -> v instanceof Map;
            case "number" -> PyValues.isNumber(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "iterable" -> v instanceof List || v instanceof Map || v instanceof String || v instanceof Undefined;
            case "sequence" -> v instanceof List || v instanceof Map || v instanceof String || v instanceof Undefined;
            case "callable" -> v instanceof PyCallable;
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase());
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase());
            case "odd" -> PyValues.asLong(v) % 2 != 0;
            case "even" -> PyValues.asLong(v) % 2 == 0;
            case "divisibleby" -> PyValues.asLong(v) % PyValues.asLong(arg(a, name)) == 0;
            case "eq", "equalto", "==" -> PyValues.equal(v, arg(a, name));
            case "ne", "!=" -> !PyValues.equal(v, arg(a, name));
            case "lt", "lessthan", "<" -> PyValues.compare(v, arg(a, name), "<") < 0;
            case "le", "<=" -> PyValues.compare(v, arg(a, name), "<=") <= 0;
            case "gt", "greaterthan", ">" -> PyValues.compare(v, arg(a, name), ">") > 0;
            case "ge", ">=" -> PyValues.compare(v, arg(a, name), ">=") >= 0;
            case "in" -> PyValues.contains(arg(a, name), v);
            case "sameas" -> v == arg(a, name) || (v != null && v.equals(arg(a, name)) && !(v instanceof List));
            case "escaped" -> false;
            default -> throw TemplateRenderException.error("no test named '" + name + "'");
        };
    }

    static boolean known(String name) {
        return java.util.Set.of("defined", "undefined", "none", "string", "mapping", "number", "integer", "float",
                "boolean", "true", "false", "iterable", "sequence", "callable", "lower", "upper", "odd", "even",
                "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
                "greaterthan", ">", "ge", ">=", "in", "sameas", "escaped").contains(name);
    }

    private static Object arg(List<Object> a, String name) {
        if (a.isEmpty()) {
            throw TemplateRenderException.error("test '" + name + "' needs an argument");
        }
        return a.get(0);
    }
}
