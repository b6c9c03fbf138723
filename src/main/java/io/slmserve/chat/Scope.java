package io.slmserve.chat;

import java.util.HashMap;
import java.util.Map;

/**
 * Variables as jinja2 scopes them: a for-loop iteration and a macro call get a child scope, so a {@code set}
 * inside them is not seen outside (templates use namespace() for that); if blocks share their parent's scope.
 */
final class Scope {

    private final Scope parent;
    private final Map<String, Object> vars = new HashMap<>();

    Scope(Scope parent) {
        this.parent = parent;
    }

    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            if (s.vars.containsKey(name)) {
                return s.vars.get(name);
            }
        }
        return Globals.get(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
