package io.slmserve.chat;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The functions a chat template can call by name: transformers' {@code raise_exception} and
 * {@code strftime_now}, and jinja2's {@code namespace}, {@code range} and {@code dict}.
 */
final class Globals {

    private Globals() {
    }

    static Object get(String name) {
        return switch (name) {
            case "raise_exception" -> (PyCallable) (args, kwargs) -> {
                throw new TemplateRenderException(PyValues.str(args.isEmpty() ? "" : args.get(0)), true);
            };
            case "strftime_now" -> strftimeAt(null);
            case "namespace" -> (PyCallable) Globals::namespace;
            case "range" -> (PyCallable) Globals::range;
            case "dict" -> (PyCallable) (args, kwargs) -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (!args.isEmpty() && args.get(0) instanceof Map<?, ?> m) {
                    d.putAll(m);
                }
                d.putAll(kwargs);
                return d;
            };
            default -> Undefined.name(name);
        };
    }

    /** strftime_now reading {@code at}, or the clock when null. */
    static PyCallable strftimeAt(LocalDateTime at) {
        return (args, kwargs) -> Strftime.format(PyMethods.string(PyMethods.arg(args, 0, "strftime_now")),
                at == null ? LocalDateTime.now() : at);
    }

    private static Object namespace(List<Object> args, Map<String, Object> kwargs) {
        Namespace ns = new Namespace();
        for (Object a : args) {
            if (!(a instanceof Map<?, ?> m)) {
                throw TemplateRenderException.error("namespace() takes a dict or keyword arguments");
            }
            m.forEach((k, v) -> ns.attributes.put(PyValues.str(k), v));
        }
        ns.attributes.putAll(kwargs);
        return ns;
    }

    private static Object range(List<Object> args, Map<String, Object> kwargs) {
        long start = 0;
        long stop;
        long step = 1;
        if (args.size() == 1) {
            stop = PyValues.asLong(args.get(0));
        } else if (args.size() >= 2) {
            start = PyValues.asLong(args.get(0));
            stop = PyValues.asLong(args.get(1));
            if (args.size() > 2) {
                step = PyValues.asLong(args.get(2));
            }
        } else {
            throw TemplateRenderException.error("range expected at least 1 argument, got 0");
        }
        if (step == 0) {
            throw TemplateRenderException.error("range() arg 3 must not be zero");
        }
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
            out.add(i);
            if (out.size() > 100_000) {
                throw TemplateRenderException.error("range too big");
            }
        }
        return out;
    }
}
