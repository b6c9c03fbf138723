package io.slmserve.chat;

import java.util.List;
import java.util.Map;

/** The parsed template: statements (nodes) and expressions, as jinja2's parser shapes them. */
final class Ast {

    private Ast() {
    }

    sealed interface Node permits Text, Output, If, For, Set, SetBlock, Macro, Break, Continue, FilterBlock {
    }

    record Text(String text) implements Node {
    }

    record Output(Expr value, int line) implements Node {
    }

    record If(List<Expr> conditions, List<List<Node>> bodies, List<Node> otherwise) implements Node {
    }

    record For(List<String> targets, Expr iterable, Expr filter, List<Node> body, List<Node> otherwise, int line)
            implements Node {
    }

    /** {@code set a = x}, {@code set a, b = x} or {@code set ns.attr = x} (then {@code namespace} is set). */
    record Set(List<String> targets, Expr namespace, String attribute, Expr value, int line) implements Node {
    }

    record SetBlock(String target, List<Node> body, List<Filter> filters) implements Node {
    }

    record Macro(String name, List<String> params, List<Expr> defaults, List<Node> body) implements Node {
    }

    record Break() implements Node {
    }

    record Continue() implements Node {
    }

    record FilterBlock(List<Filter> filters, List<Node> body) implements Node {
    }

    sealed interface Expr permits Const, Name, Attr, Item, Slice, Call, Filter, Test, Unary, Binary, Compare, Cond,
            ListLit, TupleLit, DictLit {
    }

    record Const(Object value) implements Expr {
    }

    record Name(String name) implements Expr {
    }

    record Attr(Expr target, String name) implements Expr {
    }

    record Item(Expr target, Expr key) implements Expr {
    }

    record Slice(Expr target, Expr start, Expr stop, Expr step) implements Expr {
    }

    record Call(Expr function, List<Expr> args, Map<String, Expr> kwargs) implements Expr {
    }

    /** A filter on {@code value}; value is null inside a filter block or a block set's filter chain. */
    record Filter(Expr value, String name, List<Expr> args, Map<String, Expr> kwargs, int line) implements Expr {
    }

    record Test(Expr value, String name, List<Expr> args, boolean negated, int line) implements Expr {
    }

    record Unary(String op, Expr operand) implements Expr {
    }

    record Binary(String op, Expr left, Expr right) implements Expr {
    }

    record Compare(Expr first, List<String> ops, List<Expr> rest) implements Expr {
    }

    record Cond(Expr test, Expr then, Expr otherwise) implements Expr {
    }

    record ListLit(List<Expr> items) implements Expr {
    }

    record TupleLit(List<Expr> items) implements Expr {
    }

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr {
    }
}
