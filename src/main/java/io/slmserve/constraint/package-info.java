/**
 * Structured output: JSON schemas, regular expressions and choice lists compiled into byte-level automata and
 * walked over a model's vocabulary, giving per automaton state the token ids that may come next. Depends only on
 * core (and dk.brics automaton, Caffeine, Jackson); the generation package sees it as {@code core.TokenConstraint}.
 */
package io.slmserve.constraint;
