package io.slmserve.adapters;

import io.slmserve.core.LoraAdapter;
import java.nio.file.Path;

/**
 * One adapter of a model as GET /models/{id} shows it: loaded (with its weights) or failed with the reason.
 *
 * @param adapter null when the folder failed
 * @param reason  why it failed, or null
 */
public record AdapterEntry(String name, Path dir, LoraAdapter adapter, String reason) {

    public boolean loaded() {
        return adapter != null;
    }

    /** Host memory of its weights, 0 when it failed. */
    public long bytes() {
        return adapter == null ? 0 : adapter.bytes();
    }
}
