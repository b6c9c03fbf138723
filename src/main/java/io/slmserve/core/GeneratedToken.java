package io.slmserve.core;

import java.util.List;

/**
 * One generated token as the API reports it.
 *
 * @param id       token id
 * @param text     text released by this token: may be empty (a partial UTF-8 character, or text held back
 *                 while it could still be the start of a stop string) or hold several tokens' worth
 * @param logprob  log-probability of the token under the model's distribution (before sampling filters)
 * @param special  whether the token is a special token (end of sequence)
 * @param piece    the token decoded alone (for log-probability reports; may hold U+FFFD for part of a
 *                 character), or null when log-probabilities were not requested
 * @param top      the most likely alternatives, when requested (empty otherwise)
 */
public record GeneratedToken(long id, String text, double logprob, boolean special, String piece,
                             List<TopToken> top) {

    /** An alternative token with its log-probability. */
    public record TopToken(long id, String text, double logprob) {
    }
}
