package io.slmserve.clients;

import static io.restassured.RestAssured.given;

import java.time.Duration;

/** Models load in the background after start; client tests wait for readiness before sending work. */
final class ServiceReady {

    private ServiceReady() {
    }

    static void await() {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
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
        throw new AssertionError("service not ready within 180 s: " + given().get("/q/health/ready").asString());
    }
}
