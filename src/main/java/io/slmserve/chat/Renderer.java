package io.slmserve.chat;

import io.slmserve.chat.Ast.Node;
import java.util.List;
import java.util.Map;

/** Runs a parsed template's statements against a scope, writing the output. */
final class Renderer {

    private enum Flow { NORMAL, BREAK, CONTINUE }

    private final Evaluator eval = new Evaluator();

    void render(List<Node> nodes, Scope scope, StringBuilder out) {
        run(nodes, scope, out);
    }

    private Flow run(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) {
            Flow flow = step(node, scope, out);
            if (flow != Flow.NORMAL) {
                return flow;
            }
        }
        return Flow.NORMAL;
    }

    private Flow step(Node node, Scope scope, StringBuilder out) {
        if (node instanceof Ast.Text t) {
            out.append(t.text());
        } else if (node instanceof Ast.Output o) {
            out.append(PyValues.str(eval.eval(o.value(), scope)));
        } else if (node instanceof Ast.If i) {
            for (int c = 0; c < i.conditions().size(); c++) {
                if (PyValues.truthy(eval.eval(i.conditions().get(c), scope))) {
                    return run(i.bodies().get(c), scope, out);
                }
            }
            return run(i.otherwise(), scope, out);
        } else if (node instanceof Ast.For f) {
            loop(f, scope, out);
        } else if (node instanceof Ast.Set s) {
            assign(s, scope);
        } else if (node instanceof Ast.SetBlock s) {
            StringBuilder body = new StringBuilder();
            run(s.body(), scope, body);
            scope.set(s.target(), applyFilters(s.filters(), body.toString(), scope));
        } else if (node instanceof Ast.FilterBlock f) {
            StringBuilder body = new StringBuilder();
            Flow flow = run(f.body(), scope, body);
            out.append(PyValues.str(applyFilters(f.filters(), body.toString(), scope)));
            return flow;
        } else if (node instanceof Ast.Macro m) {
            scope.set(m.name(), macro(m, scope));
        } else if (node instanceof Ast.Break) {
            return Flow.BREAK;
        } else if (node instanceof Ast.Continue) {
            return Flow.CONTINUE;
        }
        return Flow.NORMAL;
    }

    private Object applyFilters(List<Ast.Filter> filters, Object value, Scope scope) {
        Object v = value;
        for (Ast.Filter f : filters) {
            v = eval.filter(f, v, scope);
        }
        return v;
    }

    private void loop(Ast.For f, Scope scope, StringBuilder out) {
        List<Object> items = PyValues.iterate(eval.eval(f.iterable(), scope));
        if (f.filter() != null) {
            items.removeIf(item -> {
                Scope probe = new Scope(scope);
                bind(f.targets(), item, probe);
                return !PyValues.truthy(eval.eval(f.filter(), probe));
            });
        }
        if (items.isEmpty()) {
            run(f.otherwise(), scope, out);
            return;
        }
        LoopInfo info = new LoopInfo(items);
        for (int i = 0; i < items.size(); i++) {
            info.index0 = i;
            Scope iteration = new Scope(scope);
            bind(f.targets(), items.get(i), iteration);
            iteration.set("loop", info);
            if (run(f.body(), iteration, out) == Flow.BREAK) {
                break;
            }
        }
    }

    private static void bind(List<String> targets, Object value, Scope scope) {
        if (targets.size() == 1) {
            scope.set(targets.get(0), value);
            return;
        }
        List<Object> parts = PyValues.iterate(value);
        if (parts.size() != targets.size()) {
            throw TemplateRenderException.error((parts.size() > targets.size() ? "too many" : "not enough")
                    + " values to unpack (expected " + targets.size() + ", got " + parts.size() + ")");
        }
        for (int i = 0; i < targets.size(); i++) {
            scope.set(targets.get(i), parts.get(i));
        }
    }

    private void assign(Ast.Set s, Scope scope) {
        Object value = eval.eval(s.value(), scope);
        if (s.namespace() != null) {
            Object target = eval.eval(s.namespace(), scope);
            if (!(target instanceof Namespace ns)) {
                throw TemplateRenderException.error("cannot assign attribute on non-namespace object");
            }
            ns.attributes.put(s.attribute(), value);
            return;
        }
        bind(s.targets(), value, scope);
    }

    private PyCallable macro(Ast.Macro m, Scope closure) {
        return (args, kwargs) -> {
            if (args.size() > m.params().size()) {
                throw TemplateRenderException.error("macro '" + m.name() + "' takes not more than "
                        + m.params().size() + " argument(s)");
            }
            Scope local = new Scope(closure);
            int firstDefault = m.params().size() - m.defaults().size();
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                if (i < args.size()) {
                    local.set(p, args.get(i));
                } else if (kwargs.containsKey(p)) {
                    local.set(p, kwargs.get(p));
                } else if (i >= firstDefault) {
                    local.set(p, eval.eval(m.defaults().get(i - firstDefault), local));
                } else {
                    local.set(p, new Undefined("parameter '" + p + "' was not provided"));
                }
            }
            for (Map.Entry<String, Object> e : kwargs.entrySet()) {
                if (!m.params().contains(e.getKey())) {
                    throw TemplateRenderException.error("macro '" + m.name() + "' takes no keyword argument '"
                            + e.getKey() + "'");
                }
            }
            StringBuilder body = new StringBuilder();
            run(m.body(), local, body);
            return body.toString();
        };
    }
}
