package io.slmserve.constraint;

import com.fasterxml.jackson.databind.JsonNode;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON schema to the regular language of JSON texts it accepts (a subset of them where the full set is not
 * regular or not worth its size): objects list their declared properties in declared order, optional ones may be
 * left out, additional properties are never generated; strings and numbers as {@link JsonLexicon}; anyOf / oneOf
 * as unions (oneOf branches should not overlap); $ref into $defs / definitions, refusing recursion. A keyword that
 * would constrain values in a way not implemented here is a 400 naming it, never silently ignored.
 */
final class JsonSchemaLanguage {

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "$schema",
            "$id", "$comment", "$defs", "definitions", "deprecated", "readOnly", "writeOnly", "strict", "name",
            "nullable", "format", "contentMediaType", "contentEncoding");
    private static final Set<String> SUPPORTED = Set.of("type", "properties", "required", "additionalProperties",
            "enum", "const", "items", "minItems", "maxItems", "anyOf", "oneOf", "allOf", "$ref", "pattern",
            "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "unevaluatedProperties");
    static final long INT_LIMIT = Integer.MAX_VALUE;

    private final JsonNode root;
    private final JsonLexicon lex;
    private final int anyDepth;
    private final String field;
    private final Deque<String> refs = new ArrayDeque<>();

    private JsonSchemaLanguage(JsonNode root, JsonLexicon lex, int anyDepth, String field) {
        this.root = root;
        this.lex = lex;
        this.anyDepth = anyDepth;
        this.field = field;
    }

    static Automaton of(JsonNode schema, int maxWhitespace, int anyDepth, String field) {
        JsonSchemaLanguage l = new JsonSchemaLanguage(schema, new JsonLexicon(maxWhitespace), anyDepth, field);
        Automaton a = l.lex.ws().concatenate(l.value(schema, "#")).concatenate(l.lex.ws());
        a.minimize();
        return a;
    }

    /** OpenAI's json_object: any JSON object, nested at most {@code depth} levels. */
    static Automaton anyObject(int maxWhitespace, int depth) {
        JsonLexicon lex = new JsonLexicon(maxWhitespace);
        Automaton a = lex.ws().concatenate(lex.object(lex.anyValue(Math.max(0, depth - 1)))).concatenate(lex.ws());
        a.minimize();
        return a;
    }

    private Automaton value(JsonNode schema, String path) {
        if (schema.isBoolean()) {
            if (!schema.booleanValue()) {
                throw fail(path, "the schema 'false' allows no value");
            }
            return lex.anyValue(anyDepth);
        }
        if (!schema.isObject()) {
            throw fail(path, "a schema must be an object or a boolean");
        }
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!SUPPORTED.contains(key) && !ANNOTATIONS.contains(key) && !key.startsWith("x-")) {
                throw fail(path, "the keyword '" + key + "' is not supported by structured output");
            }
        }
        if (schema.has("$ref")) {
            return ref(schema.get("$ref").asText(), path);
        }
        if (schema.has("const")) {
            return JsonLexicon.literal(schema.get("const"));
        }
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw fail(path + "/enum", "enum must be a non-empty array");
            }
            List<Automaton> options = new ArrayList<>();
            values.forEach(v -> options.add(JsonLexicon.literal(v)));
            return BasicOperations.union(options);
        }
        for (String combinator : List.of("anyOf", "oneOf", "allOf")) {
            if (schema.has(combinator)) {
                return combination(schema, combinator, path);
            }
        }
        List<String> types = types(schema, path);
        List<Automaton> options = new ArrayList<>();
        for (String type : types) {
            options.add(typed(schema, type, path));
        }
        Automaton a = BasicOperations.union(options);
        a.minimize();
        return a;
    }

    private Automaton combination(JsonNode schema, String combinator, String path) {
        JsonNode branches = schema.get(combinator);
        if (!branches.isArray() || branches.isEmpty()) {
            throw fail(path + "/" + combinator, combinator + " must be a non-empty array");
        }
        for (String key : SUPPORTED) {
            if (!key.equals(combinator) && schema.has(key)) {
                throw fail(path, combinator + " beside '" + key + "' is not supported: move '" + key
                        + "' into each branch");
            }
        }
        if (combinator.equals("allOf")) {
            if (branches.size() != 1) {
                throw fail(path + "/allOf", "allOf with more than one schema is not supported");
            }
            return value(branches.get(0), path + "/allOf/0");
        }
        List<Automaton> options = new ArrayList<>();
        for (int i = 0; i < branches.size(); i++) {
            options.add(value(branches.get(i), path + "/" + combinator + "/" + i));
        }
        Automaton a = BasicOperations.union(options);
        a.minimize();
        return a;
    }

    private Automaton ref(String ref, String path) {
        JsonNode target;
        if (ref.startsWith("#/$defs/") || ref.startsWith("#/definitions/")) {
            String[] parts = ref.substring(2).split("/", 2);
            target = root.path(parts[0]).get(parts[1].replace("~1", "/").replace("~0", "~"));
        } else if (ref.equals("#")) {
            target = root;
        } else {
            throw fail(path, "$ref '" + ref + "' is not supported: only '#/$defs/NAME' and '#/definitions/NAME'");
        }
        if (target == null) {
            throw fail(path, "$ref '" + ref + "' points to nothing");
        }
        if (refs.contains(ref)) {
            throw fail(path, "$ref '" + ref + "' is recursive; recursive schemas are not supported");
        }
        refs.push(ref);
        try {
            return value(target, ref);
        } finally {
            refs.pop();
        }
    }

    /** The declared types, or the one the keywords imply, or every type. */
    private List<String> types(JsonNode schema, String path) {
        JsonNode type = schema.get("type");
        List<String> out = new ArrayList<>();
        if (type == null) {
            if (schema.has("properties") || schema.has("additionalProperties") || schema.has("required")) {
                out.add("object");
            } else if (schema.has("items") || schema.has("minItems") || schema.has("maxItems")) {
                out.add("array");
            } else if (schema.has("pattern") || schema.has("minLength") || schema.has("maxLength")) {
                out.add("string");
            } else if (schema.has("minimum") || schema.has("maximum") || schema.has("exclusiveMinimum")
                    || schema.has("exclusiveMaximum")) {
                out.add("number");
            } else {
                out.add("any");
            }
        } else if (type.isTextual()) {
            out.add(type.textValue());
        } else if (type.isArray() && !type.isEmpty()) {
            type.forEach(t -> out.add(t.asText()));
        } else {
            throw fail(path + "/type", "type must be a string or a non-empty array of strings");
        }
        return out;
    }

    private Automaton typed(JsonNode schema, String type, String path) {
        return switch (type) {
            case "object" -> object(schema, path);
            case "array" -> array(schema, path);
            case "string" -> string(schema, path);
            case "integer" -> integer(schema, path);
            case "number" -> number(schema, path);
            case "boolean" -> JsonLexicon.text("true").union(JsonLexicon.text("false"));
            case "null" -> JsonLexicon.text("null");
            case "any" -> lex.anyValue(anyDepth);
            default -> throw fail(path + "/type", "unknown type '" + type + "'");
        };
    }

    private Automaton object(JsonNode schema, String path) {
        JsonNode properties = schema.path("properties");
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        for (String r : required) {
            if (!properties.has(r)) {
                throw fail(path + "/required", "required property '" + r + "' is not declared in properties");
            }
        }
        JsonNode additional = schema.get("additionalProperties");
        if (properties.isEmpty() && (additional == null || !additional.isBoolean() || additional.booleanValue())) {
            Automaton values = additional == null || additional.isBoolean() ? lex.anyValue(anyDepth - 1)
                    : value(additional, path + "/additionalProperties");
            return lex.object(values);
        }
        List<String> names = new ArrayList<>();
        List<Automaton> members = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            names.add(p.getKey());
            members.add(JsonLexicon.text(JsonLexicon.quoted(p.getKey())).concatenate(lex.ws())
                    .concatenate(JsonLexicon.text(":")).concatenate(lex.ws())
                    .concatenate(value(p.getValue(), path + "/properties/" + p.getKey())));
        }
        // From the last property back: after[i] = the rest when something was written before (comma first),
        // first[i] = the rest when nothing was written yet.
        Automaton after = BasicAutomata.makeEmptyString();
        Automaton first = BasicAutomata.makeEmptyString();
        for (int i = names.size() - 1; i >= 0; i--) {
            Automaton withComma = lex.ws().concatenate(JsonLexicon.text(",")).concatenate(lex.ws())
                    .concatenate(members.get(i)).concatenate(after);
            Automaton firstHere = members.get(i).concatenate(after);
            if (required.contains(names.get(i))) {
                after = withComma;
                first = firstHere;
            } else {
                after = withComma.union(after);
                first = firstHere.union(first);
            }
            after.minimize();
            first.minimize();
        }
        Automaton a = JsonLexicon.text("{").concatenate(lex.ws()).concatenate(first).concatenate(lex.ws())
                .concatenate(JsonLexicon.text("}"));
        a.minimize();
        return a;
    }

    private Automaton array(JsonNode schema, String path) {
        int min = count(schema, "minItems", 0, path);
        int max = count(schema, "maxItems", -1, path);
        if (max >= 0 && max < min) {
            throw fail(path + "/maxItems", "maxItems is below minItems");
        }
        Automaton item = schema.has("items") ? value(schema.get("items"), path + "/items") : lex.anyValue(anyDepth - 1);
        return lex.array(item, min, max);
    }

    private Automaton string(JsonNode schema, String path) {
        int min = count(schema, "minLength", 0, path);
        int max = count(schema, "maxLength", -1, path);
        if (max >= 0 && max < min) {
            throw fail(path + "/maxLength", "maxLength is below minLength");
        }
        Automaton content = null;
        if (schema.has("pattern")) {
            content = RegexTranslator.search(schema.get("pattern").asText(), field);
        }
        Automaton format = StringFormats.of(schema.path("format").asText(""));
        if (format != null) {
            content = content == null ? format : content.intersection(format);
        }
        if (content == null) {
            return JsonLexicon.string(min, max);
        }
        Automaton length = BasicAutomata.makeAnyChar();
        content = content.intersection(max < 0 ? length.repeat(min) : length.repeat(min, max));
        Automaton a = JsonLexicon.string(content);
        if (a.isEmpty()) {
            throw fail(path, "no string satisfies this pattern with its length bounds (only characters that need no "
                    + "escaping are generated for patterns)");
        }
        return a;
    }

    private Automaton integer(JsonNode schema, String path) {
        Long lo = bound(schema, path, true);
        Long hi = bound(schema, path, false);
        if (lo == null && hi == null) {
            return JsonLexicon.integer();
        }
        return checkedRange(JsonLexicon.integerRange(lo == null ? -INT_LIMIT : lo, hi == null ? INT_LIMIT : hi), path);
    }

    private Automaton number(JsonNode schema, String path) {
        Long lo = bound(schema, path, true);
        Long hi = bound(schema, path, false);
        if (lo == null && hi == null) {
            return JsonLexicon.number();
        }
        return checkedRange(JsonLexicon.numberRange(lo == null ? -INT_LIMIT : lo, hi == null ? INT_LIMIT : hi), path);
    }

    private Automaton checkedRange(Automaton a, String path) {
        if (a.isEmpty()) {
            throw fail(path, "no number lies between minimum and maximum");
        }
        return a;
    }

    /**
     * The integral lower (or upper) bound: minimum rounded up / maximum rounded down, exclusive bounds moved inward.
     * Bounds must lie within +-(2^31 - 1).
     */
    private Long bound(JsonNode schema, String path, boolean lower) {
        JsonNode inclusive = schema.get(lower ? "minimum" : "maximum");
        JsonNode exclusive = schema.get(lower ? "exclusiveMinimum" : "exclusiveMaximum");
        Long out = null;
        if (inclusive != null) {
            out = integral(inclusive, path + "/" + (lower ? "minimum" : "maximum"), lower, false);
        }
        if (exclusive != null) {
            Long e = integral(exclusive, path + "/" + (lower ? "exclusiveMinimum" : "exclusiveMaximum"), lower, true);
            out = out == null ? e : lower ? Math.max(out, e) : Math.min(out, e);
        }
        return out;
    }

    private Long integral(JsonNode bound, String path, boolean lower, boolean exclusive) {
        if (!bound.isNumber()) {
            throw fail(path, "must be a number (draft-4 boolean exclusive bounds are not supported)");
        }
        double v = bound.doubleValue();
        if (Math.abs(v) > INT_LIMIT) {
            throw fail(path, "bounds beyond +-" + INT_LIMIT + " are not supported");
        }
        double r = lower ? Math.ceil(v) : Math.floor(v);
        if (exclusive && r == v) {
            r += lower ? 1 : -1;
        }
        return (long) r;
    }

    private int count(JsonNode schema, String key, int absent, String path) {
        JsonNode n = schema.get(key);
        if (n == null) {
            return absent;
        }
        if (!n.canConvertToInt() || n.intValue() < 0 || !n.isIntegralNumber()) {
            throw fail(path + "/" + key, key + " must be a non-negative integer");
        }
        return n.intValue();
    }

    private RuntimeException fail(String path, String why) {
        return ConstraintException.invalid(field, "at " + path + ": " + why);
    }
}
