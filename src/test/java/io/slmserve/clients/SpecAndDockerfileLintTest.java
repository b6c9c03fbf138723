package io.slmserve.clients;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Offline lint of the committed contract (Redocly CLI, rules in redocly.yaml: recommended, warnings as errors)
 * and of the Dockerfile (dockerfile-utils). Each linter is also shown a known-bad file, so a linter that passes
 * everything cannot hide behind a green run.
 */
class SpecAndDockerfileLintTest {

    @Test
    void committedSpecPassesRedocly() {
        NodeTools.Result result = redocly("openapi/slm-serve.yaml");
        assertEquals(0, result.exitCode(), "redocly lint openapi/slm-serve.yaml failed:\n" + result.output());
        assertTrue(result.output().contains("Your API description is valid"), result.output());
    }

    @Test
    void redoclyRejectsASpecWithoutServersOrSecurity() throws IOException {
        Path bad = Files.createTempFile(Path.of("target"), "bad-spec-", ".yaml");
        try {
            Files.writeString(bad, """
                    openapi: 3.1.0
                    info: {title: bad, version: "1"}
                    paths:
                      /x:
                        get:
                          responses:
                            "200": {description: OK}
                    """);
            NodeTools.Result result = redocly(bad.toString());
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("no-empty-servers"), result.output());
        } finally {
            Files.deleteIfExists(bad);
        }
    }

    @Test
    void dockerfilePassesDockerfileUtils() {
        NodeTools.Result result = dockerfileLint("Dockerfile");
        assertEquals(0, result.exitCode(), "dockerfile-utils lint Dockerfile failed:\n" + result.output());
        assertFalse(result.output().contains("Error:"), result.output());
    }

    @Test
    void dockerfileUtilsRejectsABadDockerfile() throws IOException {
        Path bad = Files.createTempFile(Path.of("target"), "bad-", ".Dockerfile");
        try {
            Files.writeString(bad, "FROM eclipse-temurin:17-jre\nEXPOSE http\n");
            NodeTools.Result result = dockerfileLint(bad.toString());
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("Invalid containerPort"), result.output());
        } finally {
            Files.deleteIfExists(bad);
        }
    }

    private static NodeTools.Result redocly(String spec) {
        return NodeTools.run(120, NodeTools.bin("@redocly/cli", "redocly"), "lint", "--format=stylish", spec);
    }

    private static NodeTools.Result dockerfileLint(String file) {
        return NodeTools.run(60, NodeTools.bin("dockerfile-utils", "dockerfile-utils"), "lint", file);
    }
}
