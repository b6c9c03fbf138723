package io.slmserve.core;

/** The three transformer families slm-serve runs side by side. */
public enum ModelFamily {
    ENCODER("encoder"),
    DECODER("decoder"),
    ENCODER_DECODER("encoder-decoder");

    private final String id;

    ModelFamily(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }
}
