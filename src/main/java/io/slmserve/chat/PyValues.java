package io.slmserve.chat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python semantics for template values (null is None, Long int, Double float, String str, List list, PyTuple
 * tuple, Map dict): truthiness, str() and repr(), ==, ordering, len, iteration, indexing and slicing.
 */
final class PyValues {

    private PyValues() {
    }

    static String typeName(Object v) {
        if (v == null) {
            return "NoneType";
        }
        if (v instanceof Boolean) {
            return "bool";
        }
        if (v instanceof Long) {
            return "int";
        }
        if (v instanceof Double) {
            return "float";
        }
        if (v instanceof String) {
            return "str";
        }
        if (v instanceof PyTuple) {
            return "tuple";
        }
        if (v instanceof List) {
            return "list";
        }
        if (v instanceof Map) {
            return "dict";
        }
        if (v instanceof Undefined) {
            return "Undefined";
        }
        if (v instanceof Namespace) {
            return "Namespace";
        }
        if (v instanceof LoopInfo) {
            return "LoopContext";
        }
        return "function";
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof Long l) {
            return l != 0;
        }
        if (v instanceof Double d) {
            return d != 0.0;
        }
        if (v instanceof String s) {
            return !s.isEmpty();
        }
        if (v instanceof List<?> l) {
            return !l.isEmpty();
        }
        if (v instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        return true;
    }

    /** Python's str(): what {@code {{ value }}} writes. */
    static String str(Object v) {
        if (v instanceof String s) {
            return s;
        }
        if (v instanceof Undefined) {
            return "";
        }
        return repr(v);
    }

    static String repr(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (v instanceof Long l) {
            return l.toString();
        }
        if (v instanceof Double d) {
            return floatRepr(d);
        }
        if (v instanceof String s) {
            return PyStrings.repr(s);
        }
        if (v instanceof Undefined) {
            return "";
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder(v instanceof PyTuple ? "(" : "[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
            }
            if (v instanceof PyTuple && l.size() == 1) {
                sb.append(',');
            }
            return sb.append(v instanceof PyTuple ? ")" : "]").toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                first = false;
            }
            return sb.append('}').toString();
        }
        return v.toString();
    }

    /** float.__repr__: shortest round-trip digits, fixed notation for exponents -4..15, else d.ddde+XX. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int decpt = digits.length() - bd.scale();
        String sign = d < 0 ? "-" : "";
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                return sign + "0." + "0".repeat(-decpt) + digits;
            }
            if (decpt >= digits.length()) {
                return sign + digits + "0".repeat(decpt - digits.length()) + ".0";
            }
            return sign + digits.substring(0, decpt) + "." + digits.substring(decpt);
        }
        int exp = decpt - 1;
        String mantissa = digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
        return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static double asDouble(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).doubleValue();
    }

    static long asLong(Object v) {
        return v instanceof Boolean b ? (b ? 1 : 0) : ((Number) v).longValue();
    }

    static boolean isIntLike(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static boolean equal(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        if (a instanceof Undefined || b instanceof Undefined) {
            return a instanceof Undefined && b instanceof Undefined;
        }
        if (isNumber(a) && isNumber(b)) {
            return isIntLike(a) && isIntLike(b) ? asLong(a) == asLong(b) : asDouble(a) == asDouble(b);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || la.size() != lb.size()) {
                return false;
            }
            for (int i = 0; i < la.size(); i++) {
                if (!equal(la.get(i), lb.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !equal(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    static int compare(Object a, Object b, String op) {
        if (isNumber(a) && isNumber(b)) {
            return isIntLike(a) && isIntLike(b) ? Long.compare(asLong(a), asLong(b))
                    : Double.compare(asDouble(a), asDouble(b));
        }
        if (a instanceof String sa && b instanceof String sb) {
            return sa.compareTo(sb);
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            for (int i = 0; i < Math.min(la.size(), lb.size()); i++) {
                if (!equal(la.get(i), lb.get(i))) {
                    return compare(la.get(i), lb.get(i), op);
                }
            }
            return Integer.compare(la.size(), lb.size());
        }
        failIfUndefined(a);
        failIfUndefined(b);
        throw TemplateRenderException.error("'" + op + "' not supported between instances of '" + typeName(a)
                + "' and '" + typeName(b) + "'");
    }

    static void failIfUndefined(Object v) {
        if (v instanceof Undefined u) {
            throw u.fail();
        }
    }

    static long length(Object v) {
        if (v instanceof String s) {
            return s.codePointCount(0, s.length());
        }
        if (v instanceof List<?> l) {
            return l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return m.size();
        }
        if (v instanceof Undefined) {
            return 0;
        }
        throw TemplateRenderException.error("object of type '" + typeName(v) + "' has no len()");
    }

    /** What {@code for x in v} visits: list items, dict keys, string characters; an undefined value is empty. */
    static List<Object> iterate(Object v) {
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            List<Object> chars = new ArrayList<>();
            s.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
            return chars;
        }
        if (v instanceof Undefined) {
            return new ArrayList<>();
        }
        throw TemplateRenderException.error("'" + typeName(v) + "' object is not iterable");
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            failIfUndefined(item);
            if (!(item instanceof String sub)) {
                throw TemplateRenderException.error("'in <string>' requires string as left operand, not "
                        + typeName(item));
            }
            return s.contains(sub);
        }
        if (container instanceof Map<?, ?> m) {
            for (Object k : m.keySet()) {
                if (equal(k, item)) {
                    return true;
                }
            }
            return false;
        }
        for (Iterator<Object> it = iterate(container).iterator(); it.hasNext(); ) {
            if (equal(it.next(), item)) {
                return true;
            }
        }
        return false;
    }

    /** {@code v[key]}: an item, else an attribute (dict methods), else undefined, as jinja2's getitem. */
    static Object item(Object v, Object key) {
        failIfUndefined(v);
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (equal(e.getKey(), key)) {
                    return e.getValue();
                }
            }
        } else if ((v instanceof List || v instanceof String) && isIntLike(key)) {
            List<Object> seq = v instanceof List<?> l ? new ArrayList<>(l) : iterate(v);
            long i = asLong(key);
            if (i < 0) {
                i += seq.size();
            }
            if (i >= 0 && i < seq.size()) {
                return seq.get((int) i);
            }
            return new Undefined(v instanceof String ? "string index out of range" : "list index out of range");
        }
        if (key instanceof String name) {
            Object method = PyMethods.bind(v, name);
            if (method != null) {
                return method;
            }
        }
        return Undefined.attribute(v, key);
    }

    /** {@code v.name}: an attribute (methods, namespace and loop fields), else an item, else undefined. */
    static Object attribute(Object v, String name) {
        failIfUndefined(v);
        if (v instanceof Namespace ns) {
            return ns.attributes.containsKey(name) ? ns.attributes.get(name) : Undefined.attribute(v, name);
        }
        if (v instanceof LoopInfo loop) {
            return loop.attribute(name);
        }
        Object method = PyMethods.bind(v, name);
        if (method != null) {
            return method;
        }
        if (v instanceof Map<?, ?> m && m.containsKey(name)) {
            return m.get(name);
        }
        return Undefined.attribute(v, name);
    }

    /** {@code v[start:stop:step]} on a list or string, with Python's clamping and negative steps. */
    static Object slice(Object v, Object start, Object stop, Object step) {
        failIfUndefined(v);
        if (!(v instanceof List || v instanceof String)) {
            throw TemplateRenderException.error("'" + typeName(v) + "' object is not subscriptable");
        }
        List<Object> seq = iterate(v);
        int n = seq.size();
        long st = step == null ? 1 : asLong(step);
        if (st == 0) {
            throw TemplateRenderException.error("slice step cannot be zero");
        }
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clamp(asLong(start), n, 0, n);
            hi = stop == null ? n : clamp(asLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clamp(asLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clamp(asLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) {
            out.add(seq.get((int) i));
        }
        if (v instanceof String) {
            StringBuilder sb = new StringBuilder();
            out.forEach(sb::append);
            return sb.toString();
        }
        return v instanceof PyTuple ? new PyTuple(out) : out;
    }

    private static long clamp(long index, int n, long min, long max) {
        long i = index < 0 ? index + n : index;
        return Math.max(min, Math.min(max, i));
    }
}
