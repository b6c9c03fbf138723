package io.slmserve.inference;

/** A started streaming generation: the model that serves it, and a way to stop it when the client leaves. */
public interface Cancellable {

    String model();

    /** Stops every choice; their slots are free within one step, and no further events come. */
    void cancel();
}
