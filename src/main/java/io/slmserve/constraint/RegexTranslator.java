package io.slmserve.constraint;

import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.BasicOperations;
import java.util.ArrayList;
import java.util.List;

/**
 * Java / ECMAScript regular expressions (the subset that describes a regular language) to a dk.brics automaton.
 * brics' own RegExp syntax differs from Java's ({@code "}, {@code <>}, {@code @}, {@code #}, {@code ~} and
 * {@code &} are operators there, and it lacks {@code \d}, {@code \w}, {@code \s} and {@code (?:)}), so user
 * patterns are parsed here and built with brics' operations. Backreferences, lookaround, word boundaries, Unicode
 * properties and possessive quantifiers are refused (400): they are not regular or not supported. Lazy quantifiers
 * describe the same language as greedy ones when the whole text must match, so they are accepted.
 */
final class RegexTranslator {

    /** Characters a JSON string may hold unescaped are the ones {@code .} and classes range over: the BMP. */
    private static final char MAX = '\uffff';
    private static final int MAX_REPEAT = 1000;

    private final String source;
    private final String field;
    private int pos;

    private RegexTranslator(String source, String field) {
        this.source = source;
        this.field = field;
    }

    /** The language of texts the regex matches in full (anchors at the ends are accepted and implied). */
    static Automaton fullMatch(String regex, String field) {
        RegexTranslator t = new RegexTranslator(regex, field);
        boolean[] anchored = new boolean[2];
        return t.parseWhole(anchored);
    }

    /**
     * JSON Schema's {@code pattern}: the regex may match anywhere in the string unless anchored with ^ / $.
     */
    static Automaton search(String regex, String field) {
        RegexTranslator t = new RegexTranslator(regex, field);
        boolean[] anchored = new boolean[2];
        Automaton a = t.parseWhole(anchored);
        if (!anchored[0]) {
            a = BasicAutomata.makeAnyString().concatenate(a);
        }
        if (!anchored[1]) {
            a = a.concatenate(BasicAutomata.makeAnyString());
        }
        return a;
    }

    private Automaton parseWhole(boolean[] anchored) {
        if (source.length() > 4096) {
            throw fail("the regular expression is longer than 4096 characters");
        }
        String s = source;
        int end = s.length();
        if (s.startsWith("^")) {
            anchored[0] = true;
            pos = 1;
        }
        if (end > pos && s.endsWith("$") && !escapedAt(end - 1)) {
            anchored[1] = true;
            end--;
        }
        Automaton a = alternation(end);
        if (pos != end) {
            throw fail("unbalanced ')' at position " + pos);
        }
        a.minimize();
        return a;
    }

    private boolean escapedAt(int index) {
        int backslashes = 0;
        for (int i = index - 1; i >= 0 && source.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private Automaton alternation(int end) {
        List<Automaton> branches = new ArrayList<>();
        branches.add(concatenation(end));
        while (pos < end && source.charAt(pos) == '|') {
            pos++;
            branches.add(concatenation(end));
        }
        return branches.size() == 1 ? branches.get(0) : BasicOperations.union(branches);
    }

    private Automaton concatenation(int end) {
        List<Automaton> parts = new ArrayList<>();
        while (pos < end && source.charAt(pos) != '|' && source.charAt(pos) != ')') {
            parts.add(quantified(end));
        }
        return parts.isEmpty() ? BasicAutomata.makeEmptyString() : BasicOperations.concatenate(parts);
    }

    private Automaton quantified(int end) {
        Automaton atom = atom(end);
        while (pos < end) {
            char c = source.charAt(pos);
            int min;
            int max;
            if (c == '*') {
                min = 0;
                max = -1;
                pos++;
            } else if (c == '+') {
                min = 1;
                max = -1;
                pos++;
            } else if (c == '?') {
                min = 0;
                max = 1;
                pos++;
            } else if (c == '{' && isCount(pos)) {
                int close = source.indexOf('}', pos);
                String[] parts = source.substring(pos + 1, close).split(",", -1);
                min = Integer.parseInt(parts[0].trim());
                max = parts.length == 1 ? min : parts[1].isBlank() ? -1 : Integer.parseInt(parts[1].trim());
                if (max >= 0 && max < min || min > MAX_REPEAT || max > MAX_REPEAT) {
                    throw fail("bad repetition count {" + source.substring(pos + 1, close) + "} (at most "
                            + MAX_REPEAT + ")");
                }
                pos = close + 1;
            } else {
                return atom;
            }
            if (pos < end && source.charAt(pos) == '+') {
                throw fail("possessive quantifiers are not supported");
            }
            if (pos < end && source.charAt(pos) == '?') {
                pos++; // lazy: the same language under a full match
            }
            atom = max < 0 ? atom.repeat(min) : atom.repeat(min, max);
        }
        return atom;
    }

    private boolean isCount(int at) {
        int close = source.indexOf('}', at);
        return close > at + 1 && source.substring(at + 1, close).matches("\\d+(,\\d*)?");
    }

    private Automaton atom(int end) {
        char c = source.charAt(pos);
        switch (c) {
            case '(' -> {
                pos++;
                if (source.startsWith("?:", pos)) {
                    pos += 2;
                } else if (source.startsWith("?<", pos) && pos + 2 < source.length()
                        && Character.isLetter(source.charAt(pos + 2))) {
                    int close = source.indexOf('>', pos);
                    if (close < 0) {
                        throw fail("unterminated group name");
                    }
                    pos = close + 1;
                } else if (pos < end && source.charAt(pos) == '?') {
                    throw fail("lookaround and inline flags (?...) are not supported");
                }
                Automaton inner = alternation(end);
                if (pos >= end || source.charAt(pos) != ')') {
                    throw fail("missing ')'");
                }
                pos++;
                return inner;
            }
            case '[' -> {
                return charClass(end);
            }
            case '.' -> {
                pos++;
                return anyBut('\n');
            }
            case '\\' -> {
                return escape(end, false).automaton();
            }
            case '^', '$' -> throw fail("anchors are supported only at the start and end of the expression");
            case '*', '+', '?' -> throw fail("nothing to repeat at position " + pos);
            case ')' -> throw fail("unbalanced ')' at position " + pos);
            default -> {
                pos++;
                return BasicAutomata.makeChar(c);
            }
        }
    }

    private static Automaton anyBut(char excluded) {
        return BasicAutomata.makeCharRange('\u0000', (char) (excluded - 1))
                .union(BasicAutomata.makeCharRange((char) (excluded + 1), MAX));
    }

    /** A set of characters as an automaton of one-character strings. */
    private record CharSet(Automaton automaton) {
    }

    private CharSet escape(int end, boolean inClass) {
        if (pos + 1 >= end) {
            throw fail("trailing backslash");
        }
        char e = source.charAt(pos + 1);
        pos += 2;
        Automaton digit = BasicAutomata.makeCharRange('0', '9');
        Automaton word = digit.union(BasicAutomata.makeCharRange('a', 'z')).union(BasicAutomata.makeCharRange('A', 'Z'))
                .union(BasicAutomata.makeChar('_'));
        Automaton space = BasicAutomata.makeCharSet(" \t\n\r\f\u000b");
        return new CharSet(switch (e) {
            case 'd' -> digit;
            case 'D' -> negate(digit);
            case 'w' -> word;
            case 'W' -> negate(word);
            case 's' -> space;
            case 'S' -> negate(space);
            case 't' -> BasicAutomata.makeChar('\t');
            case 'n' -> BasicAutomata.makeChar('\n');
            case 'r' -> BasicAutomata.makeChar('\r');
            case 'f' -> BasicAutomata.makeChar('\f');
            case 'v' -> BasicAutomata.makeChar('\u000b');
            case 'x' -> BasicAutomata.makeChar(hex(2));
            case 'u' -> BasicAutomata.makeChar(hex(4));
            case 'b' -> {
                if (inClass) {
                    yield BasicAutomata.makeChar('\b');
                }
                throw fail("word boundaries (\\b) are not supported");
            }
            default -> {
                if (Character.isLetterOrDigit(e)) {
                    throw fail("the escape \\" + e + " is not supported (backreferences, \\p{..}, \\B and "
                            + "anchors are not regular or not supported)");
                }
                yield BasicAutomata.makeChar(e);
            }
        });
    }

    private char hex(int digits) {
        if (pos + digits > source.length()) {
            throw fail("incomplete hex escape");
        }
        try {
            char c = (char) Integer.parseInt(source.substring(pos, pos + digits), 16);
            pos += digits;
            return c;
        } catch (NumberFormatException ex) {
            throw fail("bad hex escape");
        }
    }

    private static Automaton negate(Automaton set) {
        return BasicAutomata.makeAnyChar().minus(set);
    }

    private Automaton charClass(int end) {
        pos++;
        boolean negated = pos < end && source.charAt(pos) == '^';
        if (negated) {
            pos++;
        }
        List<Automaton> members = new ArrayList<>();
        boolean first = true;
        while (pos < end && (source.charAt(pos) != ']' || first)) {
            first = false;
            Automaton item;
            char lowChar = 0;
            boolean single;
            if (source.charAt(pos) == '\\') {
                item = escape(end, true).automaton();
                String one = item.getSingleton();
                single = one != null && one.length() == 1;
                lowChar = single ? one.charAt(0) : 0;
            } else if (source.charAt(pos) == '[') {
                throw fail("nested character classes are not supported");
            } else {
                lowChar = source.charAt(pos++);
                item = BasicAutomata.makeChar(lowChar);
                single = true;
            }
            if (single && pos + 1 < end && source.charAt(pos) == '-' && source.charAt(pos + 1) != ']') {
                pos++;
                char high;
                if (source.charAt(pos) == '\\') {
                    String one = escape(end, true).automaton().getSingleton();
                    if (one == null || one.length() != 1) {
                        throw fail("a class range must end in a single character");
                    }
                    high = one.charAt(0);
                } else {
                    high = source.charAt(pos++);
                }
                if (high < lowChar) {
                    throw fail("class range out of order");
                }
                item = BasicAutomata.makeCharRange(lowChar, high);
            }
            members.add(item);
        }
        if (pos >= end) {
            throw fail("missing ']'");
        }
        pos++;
        Automaton set = members.isEmpty() ? BasicAutomata.makeEmpty() : BasicOperations.union(members);
        return negated ? negate(set) : set;
    }

    private RuntimeException fail(String why) {
        return ConstraintException.invalid(field, "unsupported regular expression '" + abbreviate(source) + "': "
                + why);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
