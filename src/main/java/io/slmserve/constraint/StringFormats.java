package io.slmserve.constraint;

import dk.brics.automaton.Automaton;

/** The string formats structured output generates by pattern; any other format stays an annotation. */
final class StringFormats {

    private static final String DATE = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
    private static final String TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";

    private StringFormats() {
    }

    /** The language of a format's strings, or null when the format is not one of these. */
    static Automaton of(String format) {
        String regex = switch (format) {
            case "date" -> DATE;
            case "time" -> TIME;
            case "date-time" -> DATE + "T" + TIME;
            case "uuid" -> "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
            default -> null;
        };
        return regex == null ? null : RegexTranslator.fullMatch(regex, "format");
    }
}
