package io.slmserve.chat;

import java.util.ArrayList;
import java.util.List;

/** Python's arithmetic and concatenation operators on template values (an undefined operand fails). */
final class Operators {

    private Operators() {
    }

    static Object binary(String op, Object a, Object b) {
        if (op.equals("~")) {
            return PyValues.str(a) + PyValues.str(b);
        }
        PyValues.failIfUndefined(a);
        PyValues.failIfUndefined(b);
        boolean numbers = PyValues.isNumber(a) && PyValues.isNumber(b);
        boolean ints = PyValues.isIntLike(a) && PyValues.isIntLike(b);
        switch (op) {
            case "+" -> {
                if (numbers) {
                    return ints ? (Object) (PyValues.asLong(a) + PyValues.asLong(b))
                            : (Object) (PyValues.asDouble(a) + PyValues.asDouble(b));
                }
                if (a instanceof String sa && b instanceof String sb) {
                    return sa + sb;
                }
                if (a instanceof List<?> la && b instanceof List<?> lb && (a instanceof PyTuple) == (b instanceof PyTuple)) {
                    List<Object> out = new ArrayList<>(la);
                    out.addAll(lb);
                    return a instanceof PyTuple ? new PyTuple(out) : out;
                }
                if (a instanceof String) {
                    throw TemplateRenderException.error("can only concatenate str (not \"" + PyValues.typeName(b)
                            + "\") to str");
                }
            }
            case "-" -> {
                if (numbers) {
                    return ints ? (Object) (PyValues.asLong(a) - PyValues.asLong(b))
                            : (Object) (PyValues.asDouble(a) - PyValues.asDouble(b));
                }
            }
            case "*" -> {
                if (numbers) {
                    return ints ? (Object) (PyValues.asLong(a) * PyValues.asLong(b))
                            : (Object) (PyValues.asDouble(a) * PyValues.asDouble(b));
                }
                Object seq = PyValues.isIntLike(a) ? b : a;
                Object times = PyValues.isIntLike(a) ? a : b;
                if (seq instanceof String s && PyValues.isIntLike(times)) {
                    return s.repeat((int) Math.max(0, PyValues.asLong(times)));
                }
                if (seq instanceof List<?> l && PyValues.isIntLike(times)) {
                    List<Object> out = new ArrayList<>();
                    for (long i = 0; i < PyValues.asLong(times); i++) {
                        out.addAll(l);
                    }
                    return out;
                }
            }
            case "/" -> {
                if (numbers) {
                    if (PyValues.asDouble(b) == 0) {
                        throw TemplateRenderException.error("division by zero");
                    }
                    return PyValues.asDouble(a) / PyValues.asDouble(b);
                }
            }
            case "//", "%" -> {
                if (numbers) {
                    if (PyValues.asDouble(b) == 0) {
                        throw TemplateRenderException.error("integer division or modulo by zero");
                    }
                    if (ints) {
                        return op.equals("//") ? Math.floorDiv(PyValues.asLong(a), PyValues.asLong(b))
                                : Math.floorMod(PyValues.asLong(a), PyValues.asLong(b));
                    }
                    double x = PyValues.asDouble(a);
                    double y = PyValues.asDouble(b);
                    double q = Math.floor(x / y);
                    return op.equals("//") ? q : x - q * y;
                }
            }
            case "**" -> {
                if (numbers) {
                    if (ints && PyValues.asLong(b) >= 0) {
                        long r = 1;
                        for (long i = 0; i < PyValues.asLong(b); i++) {
                            r *= PyValues.asLong(a);
                        }
                        return r;
                    }
                    return Math.pow(PyValues.asDouble(a), PyValues.asDouble(b));
                }
            }
            default -> throw new IllegalStateException(op);
        }
        throw TemplateRenderException.error("unsupported operand type(s) for " + op + ": '" + PyValues.typeName(a)
                + "' and '" + PyValues.typeName(b) + "'");
    }

    static Object negate(Object v) {
        PyValues.failIfUndefined(v);
        if (v instanceof Double d) {
            return -d;
        }
        if (PyValues.isIntLike(v)) {
            return -PyValues.asLong(v);
        }
        throw TemplateRenderException.error("bad operand type for unary -: '" + PyValues.typeName(v) + "'");
    }
}
