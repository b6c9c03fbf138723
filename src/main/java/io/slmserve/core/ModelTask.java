package io.slmserve.core;

import java.util.Arrays;

/** What a model folder declares it serves ({@code option.task} in serving.properties). */
public enum ModelTask {
    TEXT_EMBEDDING("text-embedding", ModelFamily.ENCODER),
    FILL_MASK("fill-mask", ModelFamily.ENCODER),
    TEXT_CLASSIFICATION("text-classification", ModelFamily.ENCODER),
    /** A cross-encoder: a sequence classifier with one label scoring (query, passage) pairs, as TEI decides. */
    RERANK("rerank", ModelFamily.ENCODER),
    TEXT_GENERATION("text-generation", ModelFamily.DECODER),
    TEXT2TEXT_GENERATION("text2text-generation", ModelFamily.ENCODER_DECODER);

    private final String id;
    private final ModelFamily family;

    ModelTask(String id, ModelFamily family) {
        this.id = id;
        this.family = family;
    }

    public String id() {
        return id;
    }

    public ModelFamily family() {
        return family;
    }

    /** Parses the serving.properties spelling; the error names every accepted value. */
    public static ModelTask fromId(String id) {
        for (ModelTask task : values()) {
            if (task.id.equalsIgnoreCase(id.trim())) {
                return task;
            }
        }
        throw new IllegalArgumentException("unknown task '" + id + "', expected one of "
                + Arrays.stream(values()).map(ModelTask::id).toList());
    }
}
