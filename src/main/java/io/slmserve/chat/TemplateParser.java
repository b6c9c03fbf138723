package io.slmserve.chat;

import io.slmserve.chat.Ast.Expr;
import io.slmserve.chat.Ast.Node;
import io.slmserve.chat.Token.Kind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Statements of a token stream: output, if/elif/else, for/else, set (and block set), macro, break/continue. */
final class TemplateParser {

    private final List<Token> tokens;
    private final ExpressionParser expressions;
    private int loopDepth;

    TemplateParser(List<Token> tokens) {
        this.tokens = tokens;
        this.expressions = new ExpressionParser(tokens);
    }

    static List<Node> parse(String source) {
        TemplateParser parser = new TemplateParser(TemplateLexer.tokenize(source));
        List<Node> body = parser.body(Set.of());
        Token t = parser.peek();
        if (t.kind() != Kind.EOF) {
            throw parser.expressions.error("unexpected '{% " + parser.tokens.get(parser.pos() + 1).text() + " %}'", t);
        }
        return body;
    }

    private int pos() {
        return expressions.pos;
    }

    private Token peek() {
        return tokens.get(expressions.pos);
    }

    private Token next() {
        return tokens.get(expressions.pos++);
    }

    /** Nodes up to EOF or a block tag whose keyword is in {@code ends} (left unread). */
    private List<Node> body(Set<String> ends) {
        List<Node> nodes = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case EOF -> {
                    if (!ends.isEmpty()) {
                        String closer = ends.stream().filter(e -> e.startsWith("end")).findFirst().orElse("end");
                        throw expressions.error("missing {% " + closer + " %} before the end of the template", t);
                    }
                    return nodes;
                }
                case TEXT -> nodes.add(new Ast.Text(next().text()));
                case VAR_BEGIN -> {
                    next();
                    Expr e = expressions.tuple();
                    expressions.expect(Kind.VAR_END, "}}");
                    nodes.add(new Ast.Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    Token keyword = tokens.get(pos() + 1);
                    if (keyword.kind() == Kind.NAME && ends.contains(keyword.text())) {
                        return nodes;
                    }
                    next();
                    nodes.add(statement());
                }
                default -> throw expressions.error("unexpected '" + t.text() + "'", t);
            }
        }
    }

    private Node statement() {
        Token keyword = next();
        if (keyword.kind() != Kind.NAME) {
            throw expressions.error("expected a statement name after {%", keyword);
        }
        return switch (keyword.text()) {
            case "if" -> ifStatement();
            case "for" -> forStatement(keyword);
            case "set" -> setStatement(keyword);
            case "macro" -> macro();
            case "break", "continue" -> {
                if (loopDepth == 0) {
                    throw expressions.error("'" + keyword.text() + "' outside a for loop", keyword);
                }
                endTag();
                yield keyword.text().equals("break") ? new Ast.Break() : new Ast.Continue();
            }
            case "generation" -> {
                // transformers' AssistantTracker extension: the body renders unchanged.
                endTag();
                List<Node> body = body(Set.of("endgeneration"));
                closeBlock("endgeneration");
                yield new Ast.FilterBlock(List.of(), body);
            }
            case "filter" -> {
                List<Ast.Filter> filters = expressions.filterChain();
                endTag();
                List<Node> body = body(Set.of("endfilter"));
                closeBlock("endfilter");
                yield new Ast.FilterBlock(filters, body);
            }
            default -> throw expressions.error("unknown or unsupported statement '" + keyword.text() + "'", keyword);
        };
    }

    private void endTag() {
        expressions.expect(Kind.BLOCK_END, "%}");
    }

    private void closeBlock(String name) {
        expressions.expect(Kind.BLOCK_BEGIN, "{%");
        Token t = next();
        if (!t.isName(name)) {
            throw expressions.error("expected {% " + name + " %}", t);
        }
        endTag();
    }

    private Node ifStatement() {
        List<Expr> conditions = new ArrayList<>();
        List<List<Node>> bodies = new ArrayList<>();
        conditions.add(expressions.tuple());
        endTag();
        Set<String> ends = Set.of("elif", "else", "endif");
        while (true) {
            bodies.add(body(ends));
            next();
            Token keyword = next();
            switch (keyword.text()) {
                case "elif" -> {
                    conditions.add(expressions.tuple());
                    endTag();
                }
                case "else" -> {
                    endTag();
                    List<Node> otherwise = body(Set.of("endif"));
                    closeBlock("endif");
                    return new Ast.If(conditions, bodies, otherwise);
                }
                default -> {
                    endTag();
                    return new Ast.If(conditions, bodies, List.of());
                }
            }
        }
    }

    private Node forStatement(Token keyword) {
        List<String> targets = new ArrayList<>();
        boolean paren = peek().isOp("(");
        if (paren) {
            next();
        }
        do {
            targets.add(expressions.expectName());
        } while (peek().isOp(",") && next() != null);
        if (paren) {
            expressions.expect(Kind.OP, ")");
        }
        Token in = next();
        if (!in.isName("in")) {
            throw expressions.error("expected 'in' in the for statement", in);
        }
        Expr iterable = expressions.tupleNoCondition();
        Expr filter = null;
        if (peek().isName("if")) {
            next();
            filter = expressions.expression();
        }
        if (peek().isName("recursive")) {
            throw expressions.error("recursive for loops are not supported", peek());
        }
        endTag();
        loopDepth++;
        List<Node> body = body(Set.of("else", "endfor"));
        loopDepth--;
        next();
        List<Node> otherwise = List.of();
        if (next().text().equals("else")) {
            endTag();
            otherwise = body(Set.of("endfor"));
            closeBlock("endfor");
        } else {
            endTag();
        }
        return new Ast.For(targets, iterable, filter, body, otherwise, keyword.line());
    }

    private Node setStatement(Token keyword) {
        String first = expressions.expectName();
        if (peek().isOp(".")) {
            next();
            String attribute = expressions.expectName();
            expressions.expect(Kind.OP, "=");
            Expr value = expressions.tuple();
            endTag();
            return new Ast.Set(List.of(), new Ast.Name(first), attribute, value, keyword.line());
        }
        List<String> targets = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            next();
            targets.add(expressions.expectName());
        }
        if (peek().isOp("=")) {
            next();
            Expr value = expressions.tuple();
            endTag();
            return new Ast.Set(targets, null, null, value, keyword.line());
        }
        if (targets.size() > 1) {
            throw expressions.error("a block set assigns one name", keyword);
        }
        List<Ast.Filter> filters = peek().isOp("|") ? expressions.filterChain() : List.of();
        endTag();
        List<Node> body = body(Set.of("endset"));
        closeBlock("endset");
        return new Ast.SetBlock(first, body, filters);
    }

    private Node macro() {
        String name = expressions.expectName();
        expressions.expect(Kind.OP, "(");
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        while (!peek().isOp(")")) {
            if (!params.isEmpty()) {
                expressions.expect(Kind.OP, ",");
            }
            params.add(expressions.expectName());
            if (peek().isOp("=")) {
                next();
                defaults.add(expressions.expression());
            } else if (!defaults.isEmpty()) {
                throw expressions.error("non-default macro argument follows a default argument", peek());
            }
        }
        next();
        endTag();
        int saved = loopDepth;
        loopDepth = 0;
        List<Node> body = body(Set.of("endmacro"));
        loopDepth = saved;
        closeBlock("endmacro");
        return new Ast.Macro(name, params, defaults, body);
    }

    static Map<String, Expr> newKwargs() {
        return new LinkedHashMap<>();
    }
}
