package io.slmserve.inference;

import io.slmserve.core.GeneratedToken;
import io.slmserve.core.ServingException;
import io.slmserve.generation.GenerationHandle;
import io.slmserve.generation.GenerationListener;
import io.slmserve.generation.GenerationResult;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Joins the n sequences of one request into one outcome: forwards each token as an event, collects the
 * choices, and emits exactly one final event, Done when every choice ended or Failed at the first error (the
 * other choices are then cancelled). Callbacks come from worker threads, so every method is synchronized.
 */
final class CompletionTracker implements Cancellable {

    private final String model;
    private final String prompt;
    private final int promptTokens;
    private final Consumer<GenerationEvent> events;
    private final List<List<GeneratedToken>> tokens = new ArrayList<>();
    private final Completion.Choice[] choices;
    private List<GenerationHandle> handles = List.of();
    private int ended;
    private boolean closed;

    CompletionTracker(String model, String prompt, int promptTokens, int n, Consumer<GenerationEvent> events) {
        this.model = model;
        this.prompt = prompt;
        this.promptTokens = promptTokens;
        this.events = events;
        this.choices = new Completion.Choice[n];
        for (int i = 0; i < n; i++) {
            tokens.add(new ArrayList<>());
        }
    }

    GenerationListener listener(int index) {
        return new GenerationListener() {
            @Override
            public void onToken(GeneratedToken token) {
                token(index, token);
            }

            @Override
            public void onFinish(GenerationResult result) {
                finish(index, result);
            }

            @Override
            public void onError(ServingException error) {
                fail(error);
            }
        };
    }

    synchronized void handles(List<GenerationHandle> submitted) {
        this.handles = submitted;
        if (closed) {
            submitted.forEach(GenerationHandle::cancel);
        }
    }

    private synchronized void token(int index, GeneratedToken token) {
        if (!closed) {
            tokens.get(index).add(token);
            events.accept(new GenerationEvent.Token(index, token));
        }
    }

    private synchronized void finish(int index, GenerationResult r) {
        if (closed) {
            return;
        }
        choices[index] = new Completion.Choice(index, r.text(), r.reason(), r.generatedTokens(), r.seed(),
                List.copyOf(tokens.get(index)));
        events.accept(new GenerationEvent.ChoiceEnd(index, r.reason(), r.generatedTokens()));
        if (++ended == choices.length) {
            closed = true;
            events.accept(new GenerationEvent.Done(new Completion(model, prompt, promptTokens, List.of(choices))));
        }
    }

    private synchronized void fail(ServingException error) {
        if (closed) {
            return;
        }
        closed = true;
        handles.forEach(GenerationHandle::cancel);
        events.accept(new GenerationEvent.Failed(error));
    }

    @Override
    public String model() {
        return model;
    }

    /** The caller went away: stop every choice; no further events. */
    @Override
    public synchronized void cancel() {
        closed = true;
        handles.forEach(GenerationHandle::cancel);
    }
}
