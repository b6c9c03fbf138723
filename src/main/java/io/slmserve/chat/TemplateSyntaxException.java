package io.slmserve.chat;

/** A chat template that does not parse, or uses Jinja this engine does not implement; names line and column. */
public class TemplateSyntaxException extends IllegalArgumentException {

    private final int line;
    private final int column;

    public TemplateSyntaxException(String message, int line, int column) {
        super("chat template line " + line + ", column " + column + ": " + message);
        this.line = line;
        this.column = column;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }
}
