package io.slmserve.chat;

/** One lexer token: template text, a tag delimiter, or a piece of an expression. */
record Token(Kind kind, String text, Object literal, int line, int column) {

    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    boolean is(Kind k, String s) {
        return kind == k && text.equals(s);
    }

    boolean isOp(String s) {
        return is(Kind.OP, s);
    }

    boolean isName(String s) {
        return is(Kind.NAME, s);
    }
}
