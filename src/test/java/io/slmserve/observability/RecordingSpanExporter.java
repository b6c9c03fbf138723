package io.slmserve.observability;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.util.Collection;
import java.util.List;

/**
 * Keeps exported spans in memory. Quarkus's default trace exporter ("cdi") hands spans to SpanExporter beans;
 * this one is an alternative without a priority, so it exists only in the test profile that enables it.
 */
@Alternative
@Singleton
public class RecordingSpanExporter implements SpanExporter {

    private final InMemorySpanExporter spans = InMemorySpanExporter.create();

    List<SpanData> finished() {
        return spans.getFinishedSpanItems();
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
        return spans.export(batch);
    }

    @Override
    public CompletableResultCode flush() {
        return spans.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
        return spans.shutdown();
    }
}
