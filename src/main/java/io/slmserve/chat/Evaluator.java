package io.slmserve.chat;

import io.slmserve.chat.Ast.Expr;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Evaluates expressions to Python-like values in a scope. */
final class Evaluator {

    Object eval(Expr e, Scope scope) {
        if (e instanceof Ast.Const c) {
            return c.value();
        }
        if (e instanceof Ast.Name n) {
            return scope.lookup(n.name());
        }
        if (e instanceof Ast.Attr a) {
            return PyValues.attribute(eval(a.target(), scope), a.name());
        }
        if (e instanceof Ast.Item i) {
            return PyValues.item(eval(i.target(), scope), eval(i.key(), scope));
        }
        if (e instanceof Ast.Slice s) {
            return PyValues.slice(eval(s.target(), scope), opt(s.start(), scope), opt(s.stop(), scope),
                    opt(s.step(), scope));
        }
        if (e instanceof Ast.Call c) {
            return call(eval(c.function(), scope), args(c.args(), scope), kwargs(c.kwargs(), scope));
        }
        if (e instanceof Ast.Filter f) {
            return filter(f, eval(f.value(), scope), scope);
        }
        if (e instanceof Ast.Test t) {
            return Tests.apply(t.name(), eval(t.value(), scope), args(t.args(), scope)) != t.negated();
        }
        if (e instanceof Ast.Unary u) {
            return unary(u, scope);
        }
        if (e instanceof Ast.Binary b) {
            return binary(b, scope);
        }
        if (e instanceof Ast.Compare c) {
            return compare(c, scope);
        }
        if (e instanceof Ast.Cond c) {
            return PyValues.truthy(eval(c.test(), scope)) ? eval(c.then(), scope)
                    : c.otherwise() != null ? eval(c.otherwise(), scope)
                    : new Undefined("the inline if-expression evaluated to false and no else section was defined.");
        }
        if (e instanceof Ast.ListLit l) {
            return args(l.items(), scope);
        }
        if (e instanceof Ast.TupleLit t) {
            return new PyTuple(args(t.items(), scope));
        }
        Ast.DictLit d = (Ast.DictLit) e;
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < d.keys().size(); i++) {
            map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
        }
        return map;
    }

    private Object opt(Expr e, Scope scope) {
        if (e == null) {
            return null;
        }
        Object v = eval(e, scope);
        PyValues.failIfUndefined(v);
        if (v != null && !PyValues.isIntLike(v)) {
            throw TemplateRenderException.error("slice indices must be integers or None");
        }
        return v;
    }

    List<Object> args(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr x : exprs) {
            out.add(eval(x, scope));
        }
        return out;
    }

    private Map<String, Object> kwargs(Map<String, Expr> exprs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        exprs.forEach((k, x) -> out.put(k, eval(x, scope)));
        return out;
    }

    static Object call(Object fn, List<Object> args, Map<String, Object> kwargs) {
        if (fn instanceof PyCallable c) {
            return c.call(args, kwargs);
        }
        PyValues.failIfUndefined(fn);
        throw TemplateRenderException.error("'" + PyValues.typeName(fn) + "' object is not callable");
    }

    Object filter(Ast.Filter f, Object value, Scope scope) {
        List<Object> a = args(f.args(), scope);
        Map<String, Object> k = kwargs(f.kwargs(), scope);
        return switch (f.name()) {
            case "map" -> {
                List<Object> out = new ArrayList<>();
                for (Object item : PyValues.iterate(value)) {
                    if (k.containsKey("attribute")) {
                        Object v = attributePath(item, k.get("attribute"));
                        out.add(v instanceof Undefined && k.containsKey("default") ? k.get("default") : v);
                    } else {
                        String name = PyMethods.string(PyMethods.arg(a, 0, "map"));
                        out.add(Filters.apply(name, item, a.subList(1, a.size()), k));
                    }
                }
                yield out;
            }
            case "select", "reject" -> select(value, null, a, f.name().equals("select"));
            case "selectattr", "rejectattr" -> select(value, PyMethods.arg(a, 0, f.name()), a.subList(1, a.size()),
                    f.name().equals("selectattr"));
            default -> Filters.apply(f.name(), value, a, k);
        };
    }

    private static List<Object> select(Object value, Object attribute, List<Object> a, boolean keep) {
        List<Object> out = new ArrayList<>();
        for (Object item : PyValues.iterate(value)) {
            Object subject = attribute == null ? item : attributePath(item, attribute);
            boolean pass = a.isEmpty() ? PyValues.truthy(subject)
                    : Tests.apply(PyMethods.string(a.get(0)), subject, a.subList(1, a.size()));
            if (pass == keep) {
                out.add(item);
            }
        }
        return out;
    }

    /** jinja2's make_attrgetter: "a.b" or "0" looked up item-first, part by part. */
    private static Object attributePath(Object item, Object path) {
        Object v = item;
        for (String part : PyValues.str(path).split("\\.")) {
            Object key = part.matches("-?\\d+") ? (Object) Long.parseLong(part) : part;
            v = PyValues.item(v, key);
        }
        return v;
    }

    private Object unary(Ast.Unary u, Scope scope) {
        Object v = eval(u.operand(), scope);
        return switch (u.op()) {
            case "not" -> !PyValues.truthy(v);
            case "-" -> Operators.negate(v);
            default -> {
                PyValues.failIfUndefined(v);
                yield v;
            }
        };
    }

    private Object binary(Ast.Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        return switch (b.op()) {
            case "and" -> PyValues.truthy(left) ? eval(b.right(), scope) : left;
            case "or" -> PyValues.truthy(left) ? left : eval(b.right(), scope);
            default -> Operators.binary(b.op(), left, eval(b.right(), scope));
        };
    }

    private Object compare(Ast.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.rest().get(i), scope);
            String op = c.ops().get(i);
            boolean ok = switch (op) {
                case "==" -> PyValues.equal(left, right);
                case "!=" -> !PyValues.equal(left, right);
                case "<" -> PyValues.compare(left, right, op) < 0;
                case ">" -> PyValues.compare(left, right, op) > 0;
                case "<=" -> PyValues.compare(left, right, op) <= 0;
                case ">=" -> PyValues.compare(left, right, op) >= 0;
                case "in" -> PyValues.contains(right, left);
                case "notin" -> !PyValues.contains(right, left);
                default -> throw new IllegalStateException(op);
            };
            if (!ok) {
                return false;
            }
            left = right;
        }
        return true;
    }
}
