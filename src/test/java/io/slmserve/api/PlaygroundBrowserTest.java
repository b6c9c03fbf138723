package io.slmserve.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The playground page in a real browser: src/test/js/playground.mjs drives Debian's headless Chromium through
 * playwright-core against this test server (model list, a streamed completion growing on the page, embeddings
 * similarity, an error shown, nothing loaded from elsewhere) and saves target/playground.png. A missing Chromium
 * or node_modules fails the test: .ci/install-deps.sh installs both.
 */
@QuarkusTest
class PlaygroundBrowserTest {

    private static final Path SCRIPT = Path.of("src", "test", "js", "playground.mjs");
    private static final Path LOG = Path.of("target", "playground-browser.log");

    @TestHTTPResource("/")
    URL root;

    @Test
    void aPersonCanUseThePlayground() throws IOException, InterruptedException {
        String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
        assertTrue(Files.isExecutable(Path.of(chromium)), chromium + " missing: run bash .ci/install-deps.sh");
        assertTrue(Files.isDirectory(Path.of("src", "test", "js", "node_modules", "playwright-core")),
                "src/test/js/node_modules missing: run bash .ci/install-deps.sh (npm ci --prefix src/test/js)");
        ModelWait.ready();

        String base = root.toString().replaceAll("/$", "");
        Files.createDirectories(LOG.getParent());
        Process node = new ProcessBuilder("node", SCRIPT.toString(), base, "target/playground.png")
                .redirectErrorStream(true).redirectOutput(LOG.toFile()).start();
        boolean finished = node.waitFor(240, TimeUnit.SECONDS);
        if (!finished) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
        }
        String output = Files.readString(LOG);
        System.out.println(output);
        assertTrue(finished, "the browser script did not finish within 240 s:\n" + output);
        assertEquals(0, node.exitValue(), "the browser script failed:\n" + output);
        assertTrue(Files.size(Path.of("target", "playground.png")) > 10_000, "no screenshot");
    }
}
