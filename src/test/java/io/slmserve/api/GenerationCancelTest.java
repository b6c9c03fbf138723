package io.slmserve.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A client that drops a stream frees its cache slot within a step, and the generation stops. */
@QuarkusTest
@TestProfile(GenerationProfile.class)
class GenerationCancelTest {

    @Test
    void aDisconnectedStreamFreesItsSlot() throws Exception {
        ModelWait.ready();
        double finishedBefore = count("slm_generated_tokens_count");
        // No max_tokens: chat generates up to the model's max_total_tokens, far longer than the test needs.
        String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"In the beginning\"}], "
                + "\"temperature\": 0, \"ignore_eos\": true, \"stream\": true, \"n\": " + GenerationProfile.SLOTS + "}";
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            OutputStream out = socket.getOutputStream();
            socket.setSoTimeout(30_000);
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String status = in.readLine();
            assertTrue(status != null && status.contains(" 200 "), "stream answered " + status);
            int events = 0;
            String line;
            while (events < 3 && (line = in.readLine()) != null) {
                if (line.startsWith("data:")) {
                    events++;
                }
            }
            assertEquals(3, events, "the stream started");
            assertEquals(GenerationProfile.SLOTS, (int) Generate.metric("slm_running_sequences"),
                    "every choice holds a slot while streaming");
        }
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (Generate.metric("slm_running_sequences") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        if (Generate.metric("slm_running_sequences") > 0) {
            Thread.getAllStackTraces().forEach((t, stack) -> {
                if (t.getName().startsWith("slm-generate") || t.getName().startsWith("executor-thread")) {
                    System.out.println(t.getName() + " " + java.util.Arrays.toString(stack));
                }
            });
        }
        assertEquals(0, (int) Generate.metric("slm_running_sequences"), "slots freed after the client left");
        assertEquals(finishedBefore, count("slm_generated_tokens_count"), "the sequences were cancelled, not finished");
    }

    private static double count(String name) {
        double v = Generate.metric(name);
        return Double.isNaN(v) ? 0 : v;
    }
}
