package io.slmserve.generation;

import io.slmserve.core.DecoderInfo;
import io.slmserve.core.DecoderSession;
import io.slmserve.core.GeneratedToken;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenizedText;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A decoder without a model: a real slot cache of token ids, and logits that depend only on the tokens the
 * row's slot holds, so a scheduler that mixes up slots or positions produces different text. Token ids
 * 0..255 are bytes (UTF-8 decoding, U+FFFD for a partial character); 256 is the end-of-sequence token.
 */
final class FakeDecoder implements DecoderSession {

    static final int VOCAB = 257;
    static final long EOS = 256;

    final long[][] cache;
    final List<Integer> callRows = new CopyOnWriteArrayList<>();
    /** Every row of every call, in order. */
    final List<DecoderRow> rowsSeen = new CopyOnWriteArrayList<>();
    /** Calls that held a prompt (a row at 0) beside running rows. */
    final java.util.concurrent.atomic.AtomicInteger mixedCalls = new java.util.concurrent.atomic.AtomicInteger();
    private final Function<long[], float[]> model;
    volatile long delayMillis;
    volatile boolean failNext;

    /** @param model history (prompt and generated tokens) -> logits of the next token */
    FakeDecoder(int slots, int maxLength, Function<long[], float[]> model) {
        this.cache = new long[slots][maxLength];
        this.model = model;
    }

    /** A model that always puts its mass on one token, chosen by a function of the history. */
    static Function<long[], float[]> peaked(Function<long[], Integer> next) {
        return history -> {
            float[] logits = new float[VOCAB];
            logits[next.apply(history)] = 20f;
            return logits;
        };
    }

    /** Spells the given text byte by byte after a one-token prompt, then ends with EOS. */
    static Function<long[], float[]> spelling(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return peaked(h -> h.length - 1 < bytes.length ? bytes[h.length - 1] & 0xff : (int) EOS);
    }

    static DecoderInfo info(int slots, int maxLength) {
        return new DecoderInfo(VOCAB, slots, maxLength, EOS, "<eos>", "<eos>", null);
    }

    @Override
    public float[] forward(List<DecoderRow> rows) {
        callRows.add(rows.size());
        rowsSeen.addAll(rows);
        if (rows.stream().anyMatch(r -> r.start() == 0) && rows.stream().anyMatch(r -> r.start() > 0)) {
            mixedCalls.incrementAndGet();
        }
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (failNext) {
            failNext = false;
            throw new IllegalStateException("injected failure");
        }
        float[] out = new float[rows.size() * VOCAB];
        for (int b = 0; b < rows.size(); b++) {
            DecoderRow row = rows.get(b);
            System.arraycopy(row.tokens(), 0, cache[row.slot()], row.start(), row.tokens().length);
            long[] history = Arrays.copyOf(cache[row.slot()], row.start() + row.tokens().length);
            System.arraycopy(model.apply(history), 0, out, b * VOCAB, VOCAB);
        }
        return out;
    }

    @Override
    public float[] logitsAll(long[] ids) {
        throw new UnsupportedOperationException();
    }

    final List<int[]> copies = new CopyOnWriteArrayList<>();

    @Override
    public void copySlots(int[] from, int[] to) {
        long[][] sources = new long[from.length][];
        for (int i = 0; i < from.length; i++) {
            sources[i] = cache[from[i]].clone();
        }
        for (int i = 0; i < from.length; i++) {
            cache[to[i]] = sources[i];
            copies.add(new int[] {from[i], to[i]});
        }
    }

    @Override
    public void close() {
    }

    /** Byte tokenizer matching the fake's ids. */
    static final class Bytes implements TextTokenizer {
        @Override
        public TokenizedText encode(String text, boolean truncate) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            long[] ids = new long[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                ids[i] = bytes[i] & 0xff;
            }
            return new TokenizedText(ids, null, false);
        }

        @Override
        public int maxTokens() {
            return 1000;
        }

        @Override
        public String decode(long[] ids, boolean skipSpecialTokens) {
            byte[] bytes = new byte[ids.length];
            int n = 0;
            for (long id : ids) {
                if (id < 256) {
                    bytes[n++] = (byte) id;
                }
            }
            return new String(bytes, 0, n, StandardCharsets.UTF_8);
        }

        @Override
        public int vocabularySize() {
            return VOCAB;
        }

        @Override
        public String maskToken() {
            return null;
        }

        @Override
        public long maskTokenId() {
            return -1;
        }
    }

    /** Collects one sequence's callbacks. */
    static final class Recorder implements GenerationListener {
        final List<GeneratedToken> tokens = new CopyOnWriteArrayList<>();
        final CompletableFuture<GenerationResult> done = new CompletableFuture<>();
        final List<String> terminals = new CopyOnWriteArrayList<>();

        @Override
        public void onToken(GeneratedToken token) {
            tokens.add(token);
        }

        @Override
        public void onFinish(GenerationResult result) {
            terminals.add("finish");
            done.complete(result);
        }

        @Override
        public void onError(ServingException error) {
            terminals.add("error");
            done.completeExceptionally(error);
        }

        @Override
        public void onCancelled() {
            terminals.add("cancelled");
            done.cancel(false);
        }

        String streamed() {
            StringBuilder sb = new StringBuilder();
            tokens.forEach(t -> sb.append(t.text()));
            return sb.toString();
        }

        List<Long> ids() {
            List<Long> ids = new ArrayList<>();
            tokens.forEach(t -> ids.add(t.id()));
            return ids;
        }
    }
}
