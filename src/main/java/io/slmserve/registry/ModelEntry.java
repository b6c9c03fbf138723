package io.slmserve.registry;

import io.slmserve.core.LoadedModel;
import io.slmserve.core.ModelSpec;
import io.slmserve.core.ModelState;
import java.nio.file.Path;
import java.util.Optional;

/** One model folder and where it is in its lifecycle. State changes are published safely (volatile). */
public final class ModelEntry {

    private final String id;
    private final Path dir;
    private volatile ModelState state = ModelState.LOADING;
    private volatile String reason;
    private volatile ModelSpec spec;
    private volatile LoadedModel loaded;

    ModelEntry(String id, Path dir) {
        this.id = id;
        this.dir = dir;
    }

    public String id() {
        return id;
    }

    public Path dir() {
        return dir;
    }

    public ModelState state() {
        return state;
    }

    /** Why the model FAILED, or null. */
    public String reason() {
        return reason;
    }

    /** Present once serving.properties parsed. */
    public Optional<ModelSpec> spec() {
        return Optional.ofNullable(spec);
    }

    /** Present once READY. */
    public Optional<LoadedModel> loaded() {
        return Optional.ofNullable(loaded);
    }

    void parsed(ModelSpec parsed) {
        this.spec = parsed;
    }

    void ready(LoadedModel model) {
        this.loaded = model;
        this.state = ModelState.READY;
    }

    void failed(String why) {
        this.reason = why;
        this.state = ModelState.FAILED;
    }
}
