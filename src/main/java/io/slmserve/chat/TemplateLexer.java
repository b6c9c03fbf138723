package io.slmserve.chat;

import io.slmserve.chat.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a template into tokens with jinja2's whitespace rules as transformers configures them: newlines
 * normalized and one trailing newline dropped, {@code trim_blocks} (the newline after a block or comment tag
 * goes), {@code lstrip_blocks} (spaces and tabs from the line start to a block or comment tag go, unless the tag
 * opens with {@code +}) and {@code -} on either side of any tag (all whitespace on that side goes).
 */
final class TemplateLexer {

    private static final String[] OPERATORS = {"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~",
        "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"};

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private boolean lineStarting = true;

    private TemplateLexer(String source) {
        String s = source.replace("\r\n", "\n").replace('\r', '\n');
        this.src = s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    static List<Token> tokenize(String source) {
        TemplateLexer lexer = new TemplateLexer(source);
        lexer.run();
        return lexer.out;
    }

    private void run() {
        while (pos < src.length()) {
            int tag = nextTag(pos);
            if (tag < 0) {
                emitText(src.substring(pos), pos);
                break;
            }
            String text = src.substring(pos, tag);
            char kind = src.charAt(tag + 1);
            int after = tag + 2;
            char sign = after < src.length() && (src.charAt(after) == '-' || src.charAt(after) == '+')
                    ? src.charAt(after) : 0;
            if (sign == '-') {
                text = rstrip(text);
            } else if (sign != '+' && kind != '{') {
                int lpos = text.lastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.length() && blank(text, lpos)) {
                    text = text.substring(0, lpos);
                }
            }
            emitText(text, pos);
            if (sign != 0) {
                after++;
            }
            if (kind == '#') {
                comment(tag, after);
            } else if (kind == '%' && isRaw(after)) {
                throw error("{% raw %} blocks are not supported", tag);
            } else {
                tag(kind, tag, after);
            }
        }
        out.add(new Token(Kind.EOF, "", null, lineOf(src.length()), colOf(src.length())));
    }

    private int nextTag(int from) {
        int i = src.indexOf('{', from);
        while (i >= 0 && i + 1 < src.length()) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') {
                return i;
            }
            i = src.indexOf('{', i + 1);
        }
        return -1;
    }

    private void emitText(String text, int at) {
        if (!text.isEmpty()) {
            out.add(new Token(Kind.TEXT, text, null, lineOf(at), colOf(at)));
        }
    }

    private void comment(int tag, int from) {
        for (int k = from; k + 1 < src.length(); k++) {
            if (src.startsWith("+#}", k)) {
                finishTag(k + 3, false, false);
                return;
            }
            if (src.startsWith("-#}", k)) {
                finishTag(k + 3, true, false);
                return;
            }
            if (src.startsWith("#}", k)) {
                finishTag(k + 2, false, true);
                return;
            }
        }
        throw error("comment {# is never closed", tag);
    }

    private void tag(char kind, int tag, int from) {
        boolean block = kind == '%';
        out.add(new Token(block ? Kind.BLOCK_BEGIN : Kind.VAR_BEGIN, block ? "{%" : "{{", null, lineOf(tag), colOf(tag)));
        String end = block ? "%}" : "}}";
        int p = from;
        int depth = 0;
        while (true) {
            while (p < src.length() && PyStrings.isSpace(src.charAt(p))) {
                p++;
            }
            if (p >= src.length()) {
                throw error("tag " + (block ? "{%" : "{{") + " is never closed", tag);
            }
            Kind endKind = block ? Kind.BLOCK_END : Kind.VAR_END;
            if (depth > 0) {
                // as jinja2: inside open brackets "}}" closes a dict, not the tag
                p = expressionToken(p);
                depth += bracket(out.get(out.size() - 1));
                continue;
            }
            if (block && src.startsWith("+" + end, p)) {
                out.add(new Token(endKind, end, null, lineOf(p), colOf(p)));
                finishTag(p + 3, false, false);
                return;
            }
            if (src.startsWith("-" + end, p)) {
                out.add(new Token(endKind, end, null, lineOf(p), colOf(p)));
                finishTag(p + 3, true, false);
                return;
            }
            if (src.startsWith(end, p)) {
                out.add(new Token(endKind, end, null, lineOf(p), colOf(p)));
                finishTag(p + 2, false, block);
                return;
            }
            p = expressionToken(p);
            depth += bracket(out.get(out.size() - 1));
        }
    }

    private static int bracket(Token t) {
        if (t.kind() != Kind.OP) {
            return 0;
        }
        return switch (t.text()) {
            case "(", "[", "{" -> 1;
            case ")", "]", "}" -> -1;
            default -> 0;
        };
    }

    /** Moves past a closing delimiter, eating whitespace after {@code -} or the newline trim_blocks removes. */
    private void finishTag(int end, boolean stripAll, boolean trimNewline) {
        int p = end;
        if (stripAll) {
            while (p < src.length() && PyStrings.isSpace(src.charAt(p))) {
                p++;
            }
        } else if (trimNewline && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        lineStarting = p > 0 && src.charAt(p - 1) == '\n';
        pos = p;
    }

    private int expressionToken(int p) {
        char c = src.charAt(p);
        int line = lineOf(p);
        int col = colOf(p);
        if (Character.isLetter(c) || c == '_') {
            int e = p;
            while (e < src.length() && (Character.isLetterOrDigit(src.charAt(e)) || src.charAt(e) == '_')) {
                e++;
            }
            out.add(new Token(Kind.NAME, src.substring(p, e), null, line, col));
            return e;
        }
        if (Character.isDigit(c)) {
            return number(p, line, col);
        }
        if (c == '\'' || c == '"') {
            return string(p, c, line, col);
        }
        for (String op : OPERATORS) {
            if (src.startsWith(op, p)) {
                out.add(new Token(Kind.OP, op, null, line, col));
                return p + op.length();
            }
        }
        throw error("unexpected character '" + c + "'", p);
    }

    private int number(int p, int line, int col) {
        int e = p;
        while (e < src.length() && (Character.isDigit(src.charAt(e)) || src.charAt(e) == '_')) {
            e++;
        }
        boolean isFloat = false;
        if (e + 1 < src.length() && src.charAt(e) == '.' && Character.isDigit(src.charAt(e + 1))) {
            isFloat = true;
            e++;
            while (e < src.length() && (Character.isDigit(src.charAt(e)) || src.charAt(e) == '_')) {
                e++;
            }
        }
        if (e < src.length() && (src.charAt(e) == 'e' || src.charAt(e) == 'E')) {
            int x = e + 1;
            if (x < src.length() && (src.charAt(x) == '+' || src.charAt(x) == '-')) {
                x++;
            }
            if (x < src.length() && Character.isDigit(src.charAt(x))) {
                isFloat = true;
                e = x;
                while (e < src.length() && Character.isDigit(src.charAt(e))) {
                    e++;
                }
            }
        }
        String text = src.substring(p, e).replace("_", "");
        Object value = isFloat ? (Object) Double.parseDouble(text) : (Object) Long.parseLong(text);
        out.add(new Token(isFloat ? Kind.FLOAT : Kind.INT, text, value, line, col));
        return e;
    }

    private int string(int p, char quote, int line, int col) {
        int e = p + 1;
        while (e < src.length() && src.charAt(e) != quote) {
            e += src.charAt(e) == '\\' ? 2 : 1;
        }
        if (e >= src.length()) {
            throw error("string literal is never closed", p);
        }
        String raw = src.substring(p + 1, e);
        out.add(new Token(Kind.STRING, raw, PyStrings.unescape(raw), line, col));
        return e + 1;
    }

    private boolean isRaw(int from) {
        int p = from;
        while (p < src.length() && PyStrings.isSpace(src.charAt(p))) {
            p++;
        }
        return src.startsWith("raw", p) && p + 3 < src.length()
                && (Character.isWhitespace(src.charAt(p + 3)) || src.charAt(p + 3) == '%' || src.charAt(p + 3) == '-');
    }

    private static boolean blank(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (!PyStrings.isSpace(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    static String rstrip(String s) {
        int e = s.length();
        while (e > 0 && PyStrings.isSpace(s.charAt(e - 1))) {
            e--;
        }
        return s.substring(0, e);
    }

    private int lineOf(int p) {
        int line = 1;
        for (int i = 0; i < p && i < src.length(); i++) {
            if (src.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private int colOf(int p) {
        return p - (src.lastIndexOf('\n', Math.max(0, p - 1)) + 1) + 1;
    }

    private TemplateSyntaxException error(String message, int p) {
        return new TemplateSyntaxException(message, lineOf(p), colOf(p));
    }
}
