package io.slmserve.chat;

import java.util.LinkedHashMap;
import java.util.Map;

/** jinja2's namespace(): the one object whose attributes {@code set ns.x = ...} may change from inside a loop. */
final class Namespace {

    final Map<String, Object> attributes = new LinkedHashMap<>();

    @Override
    public String toString() {
        return "<Namespace " + attributes + ">";
    }
}
