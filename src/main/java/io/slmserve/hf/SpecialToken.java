package io.slmserve.hf;

/**
 * A special token as the folder declares it.
 *
 * @param text its text, or null when the folder names none
 * @param id   its id (tokenizer.json's added tokens, else config.json's *_token_id), or -1 when unknown
 */
public record SpecialToken(String text, long id) {

    public static final SpecialToken NONE = new SpecialToken(null, -1);

    /** True when the folder declares the token with an id. */
    public boolean hasId() {
        return id >= 0;
    }

    /** Its text, "" when none (what a chat template sees for an undeclared token). */
    public String textOrEmpty() {
        return text == null ? "" : text;
    }
}
