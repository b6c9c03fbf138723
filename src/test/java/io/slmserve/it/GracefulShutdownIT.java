package io.slmserve.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the packaged server (target/quarkus-app/quarkus-run.jar) on nano-gpt, starts several streams, sends SIGTERM
 * and checks the drain: readiness DOWN first, then 503 for new requests, every stream ends with its final event,
 * and the process exits 0. Two cache slots for six streams keep some streams running through the drain.
 */
class GracefulShutdownIT {

    private static final int STREAMS = 6;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void sigtermTurnsReadinessDownDrainsStreamsAndExitsZero() throws Exception {
        Path jar = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "package the application first: " + jar);
        int port = freePort();
        Path log = Path.of("target/graceful-shutdown-it.log").toAbsolutePath();
        Process server = new ProcessBuilder(javaBinary(), "-Xmx1g", "-Dai.djl.offline=true",
                "-Dquarkus.http.port=" + port, "-Dslm.models-dir=" + modelsDir(),
                "-Dquarkus.shutdown.delay=1s", "-Dquarkus.shutdown.timeout=60s", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            String base = "http://localhost:" + port;
            awaitReady(base, server, log);
            List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
            for (int i = 0; i < STREAMS; i++) {
                String body = i % 2 == 0
                        ? "{\"inputs\": \"In the beginning " + i + "\", \"parameters\": {\"max_new_tokens\": 300}}"
                        : "{\"prompt\": \"And God said " + i + "\", \"max_tokens\": 300, \"temperature\": 0, "
                                + "\"ignore_eos\": true, \"stream\": true}";
                String path = i % 2 == 0 ? "/generate_stream" : "/v1/completions";
                streams.add(http.sendAsync(post(base + path, body), HttpResponse.BodyHandlers.ofString()));
            }
            awaitRunning(base);

            long signalled = System.nanoTime();
            server.destroy(); // SIGTERM
            int readiness = 0;
            while (readiness != 503 && System.nanoTime() - signalled < TimeUnit.SECONDS.toNanos(5)) {
                readiness = status(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build());
            }
            assertEquals(503, readiness, "readiness DOWN right after SIGTERM");
            assertTrue(streams.stream().anyMatch(s -> !s.isDone()), "streams still running when readiness fell");

            List<Integer> late = new ArrayList<>();
            while (!late.contains(503) && server.isAlive() && streams.stream().anyMatch(s -> !s.isDone())) {
                // A request that would not queue behind the streams: answered at once, 200 during the delay, then 503.
                late.add(status(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build()));
                Thread.sleep(50);
            }
            assertTrue(late.contains(503), "a new request during the drain gets 503; got " + late);

            for (CompletableFuture<HttpResponse<String>> stream : streams) {
                HttpResponse<String> response = stream.get(120, TimeUnit.SECONDS);
                assertEquals(200, response.statusCode(), response.body());
                String body = response.body().strip();
                String last = body.substring(body.lastIndexOf("data:") + 5).strip();
                assertTrue(last.equals("[DONE]") || last.contains("\"generated_text\""),
                        "stream ended with its final event: " + last);
                assertTrue(!body.contains("\"error\""), "no stream was cut off: " + body);
            }
            assertTrue(server.waitFor(90, TimeUnit.SECONDS), "the server exited");
            assertEquals(0, server.exitValue(), "exit status after SIGTERM; log: " + log);
        } finally {
            if (server.isAlive()) {
                server.destroyForcibly();
            }
        }
    }

    /** nano-gpt with two cache slots, linked file by file. */
    private static Path modelsDir() throws IOException {
        Path source = Path.of("models/nano-gpt").toAbsolutePath();
        Path root = Files.createTempDirectory("slm-shutdown-it-");
        Path dir = Files.createDirectories(root.resolve("nano-gpt"));
        for (String file : new String[] {"model.pt", "tokenizer.json", "config.json", "tokenizer_config.json"}) {
            if (Files.exists(source.resolve(file))) {
                Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
            }
        }
        Files.writeString(dir.resolve("serving.properties"), Files.readString(source.resolve("serving.properties"))
                .replaceAll("(?m)^batch_size=.*$", "batch_size=2") + "\n");
        root.toFile().deleteOnExit();
        return root;
    }

    private void awaitReady(String base, Process server, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            assertTrue(server.isAlive(), "the server died at start; see " + log);
            if (status(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build()) == 200) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not ready within 180 s; see " + log);
    }

    /** Until both slots generate (the other streams wait for them). */
    private void awaitRunning(String base) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/q/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String line : metrics.body().split("\n")) {
                if (line.startsWith("slm_running_sequences{") && line.endsWith(" 2.0")) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the streams did not start");
    }

    private int status(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // refused: the server is not listening (yet or any more)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static HttpRequest post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString());
    }
}
