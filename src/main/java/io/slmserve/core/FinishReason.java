package io.slmserve.core;

/** Why a sequence stopped, spelled as TGI spells it; OpenAI folds the last two into "stop". */
public enum FinishReason {
    /** max_new_tokens reached, or the model's max_total_tokens. */
    LENGTH("length", "length"),
    /** The model produced its end-of-sequence token (or a stop_token_ids entry). */
    EOS_TOKEN("eos_token", "stop"),
    /** A stop string appeared in the generated text. */
    STOP_SEQUENCE("stop_sequence", "stop");

    private final String tgi;
    private final String openAi;

    FinishReason(String tgi, String openAi) {
        this.tgi = tgi;
        this.openAi = openAi;
    }

    public String tgi() {
        return tgi;
    }

    public String openAi() {
        return openAi;
    }
}
