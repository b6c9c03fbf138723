package io.slmserve.core;

/**
 * Whether the tokenizer puts a begin-of-sequence token in front of a decoder's prompt. The engine adds it at most
 * once: a prompt whose tokens already start with it (a chat template that writes {@code bos_token}) gets no second.
 *
 * @param add        true when the tokenizer declares a BOS for every prompt
 * @param id         the token prepended, -1 when none
 * @param declaredBy the file and field that decided it (e.g. "tokenizer_config.json add_bos_token"), or null
 */
public record BosPolicy(boolean add, long id, String declaredBy) {

    public static final BosPolicy NONE = new BosPolicy(false, -1, null);

    public BosPolicy {
        if (add && id < 0) {
            throw new IllegalArgumentException("a BOS to add needs its id");
        }
    }
}
