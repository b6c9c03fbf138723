package io.slmserve.api;

import static io.restassured.RestAssured.given;

import java.time.Duration;

/** Models load in the background after start; tests (api and clients) wait for readiness before sending work. */
public final class ModelWait {

    private ModelWait() {
    }

    public static void ready() {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (given().get("/q/health/ready").statusCode() == 200) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for readiness", e);
            }
        }
        throw new AssertionError("service not ready within 120 s: " + given().get("/q/health/ready").asString());
    }
}
