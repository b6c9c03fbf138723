package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.slmserve.testing.LlamaFolders;
import java.util.List;
import java.util.Map;

/**
 * A models folder holding only {@value #MODEL}: a random-weight Llama-3-style snapshot (GQA, llama3 rope scaling,
 * three eos ids) written and converted at test time by models/tools/tiny_llama_folders.py, as a user would with
 * convert.py; the snapshot folder beside it has no serving.properties, so the server ignores it.
 */
public class LlamaProfile implements QuarkusTestProfile {

    static final String MODEL = "llama3-tiny";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("slm.models-dir", LlamaFolders.build(List.of(MODEL)).toString());
    }
}
