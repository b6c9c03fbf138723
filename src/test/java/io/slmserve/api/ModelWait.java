package io.slmserve.api;

import static io.restassured.RestAssured.given;

import java.time.Duration;

/** Models load in the background after start; tests wait for readiness before sending work. */
final class ModelWait {

    private ModelWait() {
    }

    static void ready() {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            if (given().get("/q/health/ready").statusCode() == 200) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        throw new AssertionError("service not ready within 120 s: " + given().get("/q/health/ready").asString());
    }
}
