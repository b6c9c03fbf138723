package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.slmserve.testing.LlamaFolders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A models folder holding only {@value #MODEL}: a random-weight Llama-3-style snapshot (GQA, llama3 rope scaling,
 * three eos ids) written and converted at test time by models/tools/tiny_llama_folders.py, as a user would with
 * convert.py; the snapshot folder beside it has no serving.properties, so the server ignores it. {@value #SECOND}
 * links the same files with {@code option.default=false}: requests that name no model still go to {@value #MODEL}.
 */
public class LlamaProfile implements QuarkusTestProfile {

    static final String MODEL = "llama3-tiny";
    static final String SECOND = "llama3-tiny-not-default";

    @Override
    public Map<String, String> getConfigOverrides() {
        Path root = LlamaFolders.build(List.of(MODEL));
        try {
            Path second = Files.createDirectories(root.resolve(SECOND));
            try (var files = Files.list(root.resolve(MODEL))) {
                for (Path f : files.toList()) {
                    if (!f.getFileName().toString().equals("serving.properties")) {
                        Files.createSymbolicLink(second.resolve(f.getFileName()), f);
                    }
                }
            }
            Files.writeString(second.resolve("serving.properties"),
                    Files.readString(root.resolve(MODEL).resolve("serving.properties")) + "option.default=false\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of("slm.models-dir", root.toString());
    }
}
