package io.slmserve.constraint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
import java.util.List;

/**
 * The JSON text pieces a schema is assembled from: bounded whitespace, strings (with length bounds or a pattern),
 * numbers (digit counts bounded, so a model cannot loop on digits), integer ranges, literals, and any JSON value
 * of bounded nesting. Every language here is a subset of what JSON allows, so anything generated parses.
 */
final class JsonLexicon {

    /** Digits of an unbounded integer part, and of a fraction or exponent. */
    static final int MAX_INTEGER_DIGITS = 16;
    static final int MAX_FRACTION_DIGITS = 8;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Automaton whitespace;

    JsonLexicon(int maxWhitespace) {
        this.whitespace = maxWhitespace <= 0 ? BasicAutomata.makeEmptyString()
                : BasicAutomata.makeCharSet(" \n\t").repeat(0, maxWhitespace);
    }

    Automaton ws() {
        return whitespace.clone();
    }

    static Automaton text(String s) {
        return BasicAutomata.makeString(s);
    }

    /** One JSON value written compactly, e.g. for enum and const. */
    static Automaton literal(JsonNode value) {
        try {
            return text(JSON.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String quoted(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // Built once: brics operations copy their operands, so shared automata are never mutated.
    private static final Automaton PLAIN_CHAR = buildPlainChar();
    private static final Automaton STRING_UNIT = buildStringUnit();
    private static final Automaton ANY_STRING = text("\"").concatenate(STRING_UNIT.repeat()).concatenate(text("\""));

    /** Characters a JSON string holds as themselves: not a quote, backslash or control, no lone surrogate. */
    static Automaton plainChar() {
        return PLAIN_CHAR;
    }

    private static Automaton buildPlainChar() {
        return BasicOperations.union(List.of(BasicAutomata.makeCharRange('\u0020', '\u0021'),
                BasicAutomata.makeCharRange('\u0023', '\u005b'), BasicAutomata.makeCharRange('\u005d', '\ud7ff'),
                BasicAutomata.makeCharRange('\ue000', '\uffff')));
    }

    /**
     * One decoded character of a JSON string: itself or a one-letter escape. {@code \\uXXXX} escapes are never
     * generated: any character but the controls can be written as itself, and the four-hex-digit branch made every
     * bounded string automaton several times larger (slower to compile) for text models do not write.
     */
    private static Automaton buildStringUnit() {
        Automaton simple = text("\\").concatenate(BasicAutomata.makeCharSet("\"\\/bfnrt"));
        Automaton unit = BasicOperations.union(List.of(buildPlainChar(), simple));
        unit.minimize();
        return unit;
    }

    /** A JSON string of minLength..maxLength characters (max < 0: unbounded). */
    static Automaton string(int minLength, int maxLength) {
        if (minLength == 0 && maxLength < 0) {
            return ANY_STRING;
        }
        Automaton unit = STRING_UNIT;
        Automaton body = maxLength < 0 ? unit.repeat(minLength) : unit.repeat(minLength, maxLength);
        return text("\"").concatenate(body).concatenate(text("\""));
    }

    /**
     * A JSON string whose content is in {@code content} (a language of decoded characters). Only unescaped
     * characters are generated, so the written text equals the decoded one.
     */
    static Automaton string(Automaton content) {
        Automaton plain = content.intersection(plainChar().repeat());
        return text("\"").concatenate(plain).concatenate(text("\""));
    }

    /** -?(0|[1-9][0-9]{0,15}) */
    static Automaton integer() {
        return text("-").optional().concatenate(natural(MAX_INTEGER_DIGITS));
    }

    private static Automaton natural(int maxDigits) {
        return text("0").union(BasicAutomata.makeCharRange('1', '9')
                .concatenate(BasicAutomata.makeCharRange('0', '9').repeat(0, maxDigits - 1)));
    }

    private static Automaton fraction() {
        return text(".").concatenate(BasicAutomata.makeCharRange('0', '9').repeat(1, MAX_FRACTION_DIGITS));
    }

    /** Any JSON number with bounded digits. */
    static Automaton number() {
        Automaton exponent = BasicAutomata.makeCharSet("eE").concatenate(BasicAutomata.makeCharSet("+-").optional())
                .concatenate(BasicAutomata.makeCharRange('0', '9').repeat(1, 2));
        return integer().concatenate(fraction().optional()).concatenate(exponent.optional());
    }

    /** Integers in [lo, hi] written as JSON (no leading zeros, no "-0"). */
    static Automaton integerRange(long lo, long hi) {
        if (lo > hi) {
            return BasicAutomata.makeEmpty();
        }
        Automaton out = BasicAutomata.makeEmpty();
        if (hi >= 0) {
            out = out.union(naturalRange(Math.max(lo, 0), hi));
        }
        if (lo < 0) {
            out = out.union(text("-").concatenate(naturalRange(Math.max(1, -Math.min(hi, -1)), -lo)));
        }
        return out;
    }

    /** Non-negative integers in [lo, hi], both within int range (checked by the caller). */
    private static Automaton naturalRange(long lo, long hi) {
        Automaton interval = BasicAutomata.makeInterval((int) lo, (int) hi, 0);
        return interval.intersection(natural(11));
    }

    /**
     * Numbers in [lo, hi] (integral bounds): the integers, and fractions i.f that lie wholly inside the range
     * (i.f in (i, i + 1) for i >= 0, -k.f in (-k - 1, -k) for k >= 0), which is every such number of the form.
     */
    static Automaton numberRange(long lo, long hi) {
        Automaton out = integerRange(lo, hi);
        long posLo = Math.max(lo, 0);
        long posHi = hi - 1;
        if (posLo <= posHi) {
            out = out.union(naturalRange(posLo, posHi).concatenate(fraction()));
        }
        long negLo = Math.max(0, -hi);
        long negHi = -lo - 1;
        if (negLo <= negHi) {
            out = out.union(text("-").concatenate(naturalRange(negLo, negHi)).concatenate(fraction()));
        }
        return out;
    }

    /** Any JSON value nested at most {@code depth} containers deep. */
    Automaton anyValue(int depth) {
        Automaton scalar = BasicOperations.union(List.of(string(0, -1), number(), text("true"), text("false"),
                text("null")));
        scalar.minimize();
        if (depth <= 0) {
            return scalar;
        }
        Automaton inner = anyValue(depth - 1);
        Automaton value = BasicOperations.union(List.of(scalar, object(inner), array(inner)));
        value.minimize();
        return value;
    }

    /** An object of any keys whose values are in {@code value}. */
    Automaton object(Automaton value) {
        Automaton member = string(0, -1).concatenate(ws()).concatenate(text(":")).concatenate(ws())
                .concatenate(value);
        Automaton more = ws().concatenate(text(",")).concatenate(ws()).concatenate(member).repeat();
        Automaton a = text("{").concatenate(ws()).concatenate(member.concatenate(more).optional())
                .concatenate(ws()).concatenate(text("}"));
        a.minimize();
        return a;
    }

    /** An array of minItems..maxItems (max < 0: unbounded) values in {@code item}. */
    Automaton array(Automaton item, int minItems, int maxItems) {
        Automaton next = ws().concatenate(text(",")).concatenate(ws()).concatenate(item);
        Automaton items;
        if (maxItems == 0) {
            items = BasicAutomata.makeEmptyString();
        } else {
            Automaton rest = maxItems < 0 ? next.repeat(Math.max(0, minItems - 1))
                    : next.repeat(Math.max(0, minItems - 1), maxItems - 1);
            items = item.concatenate(rest);
            if (minItems == 0) {
                items = items.optional();
            }
        }
        Automaton a = text("[").concatenate(ws()).concatenate(items).concatenate(ws()).concatenate(text("]"));
        a.minimize();
        return a;
    }

    Automaton array(Automaton item) {
        return array(item, 0, -1);
    }
}
