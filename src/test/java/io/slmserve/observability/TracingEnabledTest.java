package io.slmserve.observability;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * With the SDK switched on (QUARKUS_OTEL_SDK_DISABLED=false), every HTTP request becomes a server span named by
 * its route, joined to the caller's trace through the W3C traceparent header. Spans go to an in-memory exporter
 * instead of OTLP.
 */
@QuarkusTest
@TestProfile(TracingEnabledTest.Tracing.class)
class TracingEnabledTest {

    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");

    /** The SDK on, spans kept in memory, the OTLP exporter left out (nothing listens for it here). */
    public static class Tracing implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "slm.models-dir", EmptyModelsDir.create(),
                    "quarkus.otel.sdk.disabled", "false",
                    "quarkus.otel.exporter.otlp.enabled", "false",
                    "quarkus.otel.bsp.schedule.delay", "0.05s");
        }

        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(RecordingSpanExporter.class);
        }
    }

    @Inject
    RecordingSpanExporter exporter;

    @Inject
    Vertx vertx;

    @Test
    void eachRequestIsAServerSpanCarryingItsRoute() throws InterruptedException {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        given().header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").get("/models").then().statusCode(200);
        given().get("/models/no-such-model").then().statusCode(404);

        SpanData list = await("/models");
        assertEquals(SpanKind.SERVER, list.getKind());
        assertEquals(traceId, list.getTraceId(), "the caller's trace is continued");
        assertEquals("GET /models", list.getName());
        SpanData one = await("/models/{id}");
        assertEquals("GET /models/{id}", one.getName());
        assertEquals(404L, one.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
        // The two facts TracingOffByDefaultTest asserts the other way round.
        assertNotNull(((VertxInternal) vertx).tracer());
        assertFalse(TracingOffByDefaultTest.exporterThreads().isEmpty(), "a span processor thread runs");
    }

    private SpanData await(String route) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<SpanData> spans = exporter.finished();
            for (SpanData span : spans) {
                if (span.getKind() == SpanKind.SERVER && route.equals(span.getAttributes().get(ROUTE))) {
                    return span;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no server span with http.route=" + route + " in " + spans);
            }
            Thread.sleep(50);
        }
    }
}
