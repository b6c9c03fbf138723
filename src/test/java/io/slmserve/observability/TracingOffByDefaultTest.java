package io.slmserve.observability;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import jakarta.inject.Inject;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * With the shipped configuration the OpenTelemetry SDK is off: Vert.x gets no tracer (HTTP requests make no
 * spans), and no span processor thread (the one that would batch spans and send them to an OTLP collector) is
 * started, even after requests. TracingEnabledTest shows the same checks flip when the SDK is on.
 */
@QuarkusTest
class TracingOffByDefaultTest {

    @Inject
    Vertx vertx;

    @ConfigProperty(name = "quarkus.otel.sdk.disabled")
    boolean sdkDisabled;

    @Test
    void noSpanIsRecordedAndNoExporterRuns() {
        assertTrue(sdkDisabled, "quarkus.otel.sdk.disabled must default to true");
        given().header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .get("/models").then().statusCode(200);

        assertNull(((VertxInternal) vertx).tracer(), "no Vert.x tracer: HTTP requests make no spans");
        assertEquals(List.of(), exporterThreads());
    }

    /** Threads of the SDK's span processors and exporters. */
    static List<String> exporterThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.contains("SpanProcessor") || name.toLowerCase().contains("otlp")).toList();
    }
}
