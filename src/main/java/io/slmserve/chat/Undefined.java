package io.slmserve.chat;

/**
 * jinja2's default Undefined: renders as "", is falsy, iterates as empty and has length 0, but any attribute,
 * item, call or arithmetic on it fails with the reason it is undefined.
 */
final class Undefined {

    private final String reason;

    Undefined(String reason) {
        this.reason = reason;
    }

    static Undefined name(String name) {
        return new Undefined("'" + name + "' is undefined");
    }

    static Undefined attribute(Object owner, Object attribute) {
        return new Undefined("'" + PyValues.typeName(owner) + " object' has no attribute " + (attribute instanceof String s
                ? PyStrings.repr(s) : PyValues.repr(attribute)));
    }

    TemplateRenderException fail() {
        return TemplateRenderException.error(reason);
    }

    @Override
    public String toString() {
        return "";
    }
}
