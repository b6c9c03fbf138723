package io.slmserve.observability;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * With the shipped configuration the OpenTelemetry SDK is off: spans are no-ops, and no span processor thread
 * (the one that would batch spans and connect to an OTLP collector) is ever started, even after requests.
 */
@QuarkusTest
class TracingOffByDefaultTest {

    @Inject
    OpenTelemetry openTelemetry;

    @ConfigProperty(name = "quarkus.otel.sdk.disabled")
    boolean sdkDisabled;

    @Test
    void noSpanIsRecordedAndNoExporterRuns() {
        assertTrue(sdkDisabled, "quarkus.otel.sdk.disabled must default to true");
        given().header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .get("/models").then().statusCode(200);

        Span span = openTelemetry.getTracer("slm-serve-test").spanBuilder("probe").startSpan();
        try {
            assertFalse(span.isRecording(), "spans must be no-ops while the SDK is disabled");
            assertFalse(span.getSpanContext().isValid());
        } finally {
            span.end();
        }
        List<String> exporterThreads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(name -> name.contains("SpanProcessor") || name.toLowerCase().contains("otlp")).toList();
        assertEquals(List.of(), exporterThreads);
    }
}
