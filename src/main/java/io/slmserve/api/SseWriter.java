package io.slmserve.api;

import io.slmserve.inference.Cancellable;
import io.slmserve.inference.GenerationEvent;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Streams generation events as server-sent events. The request is started (validated, queued) and its first
 * event awaited before the response exists, so a bad request, a full queue, a deadline that passed in the queue
 * (504) or a failed prompt step is still an ordinary error status; workers push events into a queue and the
 * HTTP worker thread writes and flushes each one. A failure after the first event ends the stream with an
 * error event. When the connection closes (the client left)
 * the generation is cancelled, which frees its cache slots within one step. Used from {@code @Blocking}
 * methods, as writing blocks.
 */
final class SseWriter implements StreamingOutput {

    /** Turns one event into the data payloads to send (possibly none). */
    interface Renderer extends Function<GenerationEvent, List<String>> {
    }

    /** How often a quiet stream (a long prompt, a wait for a slot) checks that its client is still there. */
    private static final long POLL_MS = 50;

    private final BlockingQueue<GenerationEvent> events = new LinkedBlockingQueue<>();
    private final Renderer renderer;
    private Cancellable generation;
    private HttpServerResponse response;

    private SseWriter(Renderer renderer) {
        this.renderer = renderer;
    }

    static Response start(RoutingContext rc, Function<Consumer<GenerationEvent>, Cancellable> starter,
                          Renderer renderer, Consumer<String> onModel) {
        SseWriter writer = new SseWriter(renderer);
        writer.generation = starter.apply(writer.events::add);
        onModel.accept(writer.generation.model());
        writer.response = rc.response();
        writer.awaitFirst();
        return Response.ok(writer, MediaType.SERVER_SENT_EVENTS_TYPE)
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .build();
    }

    /**
     * Waits for the first event while the client stays. A failure before any token is thrown, so it is answered
     * with its own status; any other event stays queued for {@link #write}.
     */
    private void awaitFirst() {
        try {
            GenerationEvent first;
            while ((first = events.peek()) == null) {
                if (response.closed()) {
                    generation.cancel();
                    return;
                }
                Thread.sleep(Math.min(POLL_MS, 5));
            }
            if (first instanceof GenerationEvent.Failed failed) {
                throw failed.error();
            }
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void write(OutputStream out) throws IOException {
        try {
            while (true) {
                GenerationEvent event = events.poll(POLL_MS, TimeUnit.MILLISECONDS);
                // Writes to a closed connection are dropped silently, so the connection state is checked instead.
                if (response.closed()) {
                    generation.cancel();
                    return;
                }
                if (event == null) {
                    continue;
                }
                for (String data : renderer.apply(event)) {
                    out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                if (event instanceof GenerationEvent.Done || event instanceof GenerationEvent.Failed) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            generation.cancel();
            throw e;
        } catch (InterruptedException e) {
            generation.cancel();
            Thread.currentThread().interrupt();
        }
    }
}
