package io.slmserve.chat;

import io.slmserve.chat.Ast.Expr;
import io.slmserve.chat.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Jinja expressions with jinja2's precedence: conditional, or, and, not, comparisons (incl. in / not in), + -,
 * ~, * / // %, **, unary - +, then postfix (. [] () slices) and filters and tests, which bind tightest.
 */
final class ExpressionParser {

    private static final Set<String> COMPARE = Set.of("==", "!=", "<", ">", "<=", ">=");
    private static final Set<Kind> PRIMARY_START = Set.of(Kind.NAME, Kind.STRING, Kind.INT, Kind.FLOAT);

    private final List<Token> tokens;
    int pos;

    ExpressionParser(List<Token> tokens) {
        this.tokens = tokens;
    }

    private Token peek() {
        return tokens.get(pos);
    }

    private Token next() {
        return tokens.get(pos++);
    }

    TemplateSyntaxException error(String message, Token at) {
        return new TemplateSyntaxException(message, at.line(), at.column());
    }

    Token expect(Kind kind, String text) {
        Token t = next();
        if (t.kind() != kind || !t.text().equals(text)) {
            throw error("expected '" + text + "', found '" + (t.kind() == Kind.EOF ? "end of template" : t.text())
                    + "'", t);
        }
        return t;
    }

    String expectName() {
        Token t = next();
        if (t.kind() != Kind.NAME) {
            throw error("expected a name, found '" + t.text() + "'", t);
        }
        return t.text();
    }

    /** An expression, or a tuple when commas follow (as in {@code {{ a, b }}} or {@code set x = a, b}). */
    Expr tuple() {
        Expr first = expression();
        if (!peek().isOp(",")) {
            return first;
        }
        List<Expr> items = new ArrayList<>(List.of(first));
        while (peek().isOp(",")) {
            next();
            items.add(expression());
        }
        return new Ast.TupleLit(items);
    }

    /** A for loop's iterable: no conditional expression, so a trailing {@code if} filters the loop. */
    Expr tupleNoCondition() {
        return or();
    }

    Expr expression() {
        Expr value = or();
        while (peek().isName("if")) {
            next();
            Expr test = or();
            Expr otherwise = null;
            if (peek().isName("else")) {
                next();
                otherwise = expression();
            }
            value = new Ast.Cond(test, value, otherwise);
        }
        return value;
    }

    private Expr or() {
        Expr left = and();
        while (peek().isName("or")) {
            next();
            left = new Ast.Binary("or", left, and());
        }
        return left;
    }

    private Expr and() {
        Expr left = not();
        while (peek().isName("and")) {
            next();
            left = new Ast.Binary("and", left, not());
        }
        return left;
    }

    private Expr not() {
        if (peek().isName("not")) {
            next();
            return new Ast.Unary("not", not());
        }
        return compare();
    }

    private Expr compare() {
        Expr first = math1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Kind.OP && COMPARE.contains(t.text())) {
                next();
                ops.add(t.text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && tokens.get(pos + 1).isName("in")) {
                pos += 2;
                ops.add("notin");
            } else {
                break;
            }
            rest.add(math1());
        }
        return ops.isEmpty() ? first : new Ast.Compare(first, ops, rest);
    }

    private Expr math1() {
        Expr left = concat();
        while (peek().isOp("+") || peek().isOp("-")) {
            String op = next().text();
            left = new Ast.Binary(op, left, concat());
        }
        return left;
    }

    private Expr concat() {
        Expr left = math2();
        while (peek().isOp("~")) {
            next();
            left = new Ast.Binary("~", left, math2());
        }
        return left;
    }

    private Expr math2() {
        Expr left = pow();
        while (peek().isOp("*") || peek().isOp("/") || peek().isOp("//") || peek().isOp("%")) {
            String op = next().text();
            left = new Ast.Binary(op, left, pow());
        }
        return left;
    }

    private Expr pow() {
        Expr left = unary(true);
        while (peek().isOp("**")) {
            next();
            left = new Ast.Binary("**", left, unary(true));
        }
        return left;
    }

    private Expr unary(boolean withFilter) {
        Expr node;
        if (peek().isOp("-") || peek().isOp("+")) {
            String op = next().text();
            node = new Ast.Unary(op, unary(false));
        } else {
            node = primary();
        }
        node = postfix(node);
        return withFilter ? filtersAndTests(node) : node;
    }

    private Expr primary() {
        Token t = next();
        switch (t.kind()) {
            case NAME -> {
                return switch (t.text()) {
                    case "true", "True" -> new Ast.Const(Boolean.TRUE);
                    case "false", "False" -> new Ast.Const(Boolean.FALSE);
                    case "none", "None" -> new Ast.Const(null);
                    default -> new Ast.Name(t.text());
                };
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder((String) t.literal());
                while (peek().kind() == Kind.STRING) {
                    sb.append((String) next().literal());
                }
                return new Ast.Const(sb.toString());
            }
            case INT, FLOAT -> {
                return new Ast.Const(t.literal());
            }
            case OP -> {
                switch (t.text()) {
                    case "(" -> {
                        if (peek().isOp(")")) {
                            next();
                            return new Ast.TupleLit(List.of());
                        }
                        Expr first = expression();
                        if (peek().isOp(")")) {
                            next();
                            return first;
                        }
                        List<Expr> items = new ArrayList<>(List.of(first));
                        while (peek().isOp(",")) {
                            next();
                            if (peek().isOp(")")) {
                                break;
                            }
                            items.add(expression());
                        }
                        expect(Kind.OP, ")");
                        return new Ast.TupleLit(items);
                    }
                    case "[" -> {
                        List<Expr> items = new ArrayList<>();
                        while (!peek().isOp("]")) {
                            if (!items.isEmpty()) {
                                expect(Kind.OP, ",");
                                if (peek().isOp("]")) {
                                    break;
                                }
                            }
                            items.add(expression());
                        }
                        next();
                        return new Ast.ListLit(items);
                    }
                    case "{" -> {
                        List<Expr> keys = new ArrayList<>();
                        List<Expr> values = new ArrayList<>();
                        while (!peek().isOp("}")) {
                            if (!keys.isEmpty()) {
                                expect(Kind.OP, ",");
                                if (peek().isOp("}")) {
                                    break;
                                }
                            }
                            keys.add(expression());
                            expect(Kind.OP, ":");
                            values.add(expression());
                        }
                        next();
                        return new Ast.DictLit(keys, values);
                    }
                    default -> {
                    }
                }
            }
            default -> {
            }
        }
        throw error("unexpected '" + (t.kind() == Kind.EOF ? "end of template" : t.text()) + "'", t);
    }

    private Expr postfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp(".")) {
                next();
                Token name = next();
                if (name.kind() == Kind.NAME) {
                    node = new Ast.Attr(node, name.text());
                } else if (name.kind() == Kind.INT) {
                    node = new Ast.Item(node, new Ast.Const(name.literal()));
                } else {
                    throw error("expected an attribute name after '.'", name);
                }
            } else if (t.isOp("[")) {
                next();
                node = subscript(node);
            } else if (t.isOp("(")) {
                next();
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Expr subscript(Expr target) {
        Expr[] parts = new Expr[3];
        int part = 0;
        boolean slice = false;
        while (!peek().isOp("]")) {
            if (peek().isOp(":")) {
                next();
                slice = true;
                if (++part > 2) {
                    throw error("a slice has at most three parts", peek());
                }
                continue;
            }
            if (parts[part] != null) {
                throw error("expected ']' or ':'", peek());
            }
            parts[part] = expression();
        }
        next();
        if (!slice) {
            if (parts[0] == null) {
                throw error("empty subscript", peek());
            }
            return new Ast.Item(target, parts[0]);
        }
        return new Ast.Slice(target, parts[0], parts[1], parts[2]);
    }

    private Ast.Call call(Expr function) {
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = TemplateParser.newKwargs();
        readArgs(args, kwargs);
        return new Ast.Call(function, args, kwargs);
    }

    /** Arguments after an opening parenthesis, through the closing one. */
    private void readArgs(List<Expr> args, Map<String, Expr> kwargs) {
        boolean first = true;
        while (!peek().isOp(")")) {
            if (!first) {
                expect(Kind.OP, ",");
                if (peek().isOp(")")) {
                    break;
                }
            }
            first = false;
            if (peek().isOp("*")) {
                throw error("*args and **kwargs are not supported", peek());
            }
            if (peek().kind() == Kind.NAME && tokens.get(pos + 1).isOp("=")) {
                String key = next().text();
                next();
                kwargs.put(key, expression());
            } else {
                if (!kwargs.isEmpty()) {
                    throw error("positional argument follows keyword argument", peek());
                }
                args.add(expression());
            }
        }
        next();
    }

    private Expr filtersAndTests(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOp("|")) {
                node = filter(node);
            } else if (t.isName("is")) {
                node = test(node);
            } else if (t.isOp("(")) {
                next();
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Ast.Filter filter(Expr value) {
        next();
        return namedFilter(value);
    }

    private Ast.Filter namedFilter(Expr value) {
        Token at = peek();
        String name = expectName();
        if (!Filters.known(name)) {
            throw error("no filter named '" + name + "'", at);
        }
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = TemplateParser.newKwargs();
        if (peek().isOp("(")) {
            next();
            readArgs(args, kwargs);
        }
        return new Ast.Filter(value, name, args, kwargs, at.line());
    }

    /** {@code f | g(x)} after {@code filter}, or {@code | f} after a block set's name: filters for the body. */
    List<Ast.Filter> filterChain() {
        List<Ast.Filter> filters = new ArrayList<>();
        if (!peek().isOp("|")) {
            filters.add(namedFilter(null));
        }
        while (peek().isOp("|")) {
            filters.add(filter(null));
        }
        return filters;
    }

    private Expr test(Expr value) {
        Token is = next();
        boolean negated = false;
        if (peek().isName("not")) {
            next();
            negated = true;
        }
        Token nameToken = peek();
        String name = expectName();
        if (!Tests.known(name)) {
            throw error("no test named '" + name + "'", nameToken);
        }
        List<Expr> args = new ArrayList<>();
        Token t = peek();
        if (t.isOp("(")) {
            next();
            Map<String, Expr> kwargs = TemplateParser.newKwargs();
            readArgs(args, kwargs);
            if (!kwargs.isEmpty()) {
                throw error("keyword arguments to tests are not supported", t);
            }
        } else if ((PRIMARY_START.contains(t.kind()) || t.isOp("[") || t.isOp("{"))
                && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) {
                throw error("You cannot chain multiple tests with is", t);
            }
            args.add(postfix(primary()));
        }
        return new Ast.Test(value, name, args, negated, is.line());
    }
}
