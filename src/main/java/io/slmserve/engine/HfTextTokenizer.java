package io.slmserve.engine;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.slmserve.core.BosPolicy;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenizedPair;
import io.slmserve.core.TokenizedText;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The model folder's tokenizer.json through DJL's Rust-backed Hugging Face tokenizer. Truncation is set to
 * the model's token limit, so one encode both truncates and tells whether anything was dropped.
 *
 * <p>A decoder's prompts ({@link #forPrompts}) are encoded without tokenizer.json's post-processor specials and
 * get the BOS the folder declares ({@link BosPolicy}) prepended here, once: a prompt that already starts with it
 * (a chat template writing {@code bos_token}) gets no second one, and a tokenizer_config.json that says
 * add_bos_token false is obeyed even where tokenizer.json's post-processor would add one.
 */
final class HfTextTokenizer implements TextTokenizer, AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    /** Pairs: truncation cuts only the passage (the query is kept whole). */
    private final HuggingFaceTokenizer pairs;
    /** Measures a passage without truncation, for cutting it from its start. */
    private final HuggingFaceTokenizer untruncated;
    private final int maxTokens;
    private final int vocabularySize;
    private final String maskToken;
    private final long maskTokenId;
    private final Path tokenizerJson;
    private volatile byte[][] tokenBytes;
    private volatile boolean tokenBytesRead;

    private final BosPolicy bos;
    private final String bosText;

    /** Encodes with tokenizer.json's own special tokens (encoders; an encoder-decoder's source). */
    HfTextTokenizer(Path tokenizerJson, int maxTokens, int vocabularySize, String maskToken) throws IOException {
        this(tokenizerJson, maxTokens, vocabularySize, maskToken, null);
    }

    /** A decoder's prompt tokenizer: no post-processor specials, the declared BOS at most once. */
    static HfTextTokenizer forPrompts(Path tokenizerJson, int maxTokens, int vocabularySize, BosPolicy bos)
            throws IOException {
        return new HfTextTokenizer(tokenizerJson, maxTokens, vocabularySize, null, bos);
    }

    private HfTextTokenizer(Path tokenizerJson, int maxTokens, int vocabularySize, String maskToken, BosPolicy bos)
            throws IOException {
        this.tokenizer = builder(tokenizerJson, maxTokens)
                .optAddSpecialTokens(bos == null)
                .optPadding(false)
                .optTruncation(true)
                .optMaxLength(maxTokens)
                .build();
        this.pairs = builder(tokenizerJson, maxTokens).optAddSpecialTokens(true)
                .optPadding(false).optTruncateSecondOnly().optMaxLength(maxTokens).build();
        this.untruncated = builder(tokenizerJson, maxTokens).optAddSpecialTokens(false)
                .optPadding(false).optTruncation(false).build();
        this.maxTokens = maxTokens;
        this.tokenizerJson = tokenizerJson;
        this.vocabularySize = vocabularySize;
        this.maskToken = maskToken;
        this.maskTokenId = maskToken == null ? -1 : singleId(maskToken);
        this.bos = bos == null ? BosPolicy.NONE : bos;
        if (this.bos.add() && this.bos.id() >= vocabularySize) {
            throw new IOException("the BOS token id " + this.bos.id() + " is outside the vocabulary");
        }
        this.bosText = this.bos.add() ? tokenizer.decode(new long[] {this.bos.id()}, false) : null;
    }

    /**
     * DJL caps optMaxLength at its "modelMaxLength" option, which defaults to 512 (or tokenizer_config.json's
     * model_max_length) whatever the model's own limit: a GPT-2 with 1024 positions then refused 600-token
     * prompts as over its limit of 1023. The limit is the folder's serving limit, so DJL's cap is set to it.
     */
    private static HuggingFaceTokenizer.Builder builder(Path tokenizerJson, int maxTokens) {
        HuggingFaceTokenizer.Builder builder = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson);
        builder.configure(Map.of("modelMaxLength", maxTokens));
        return builder;
    }

    private long singleId(String token) throws IOException {
        long[] ids = tokenizer.encode(token, false, false).getIds();
        if (ids.length != 1) {
            throw new IOException("mask token " + token + " is not a single token of tokenizer.json");
        }
        return ids[0];
    }

    @Override
    public String maskToken() {
        return maskToken;
    }

    @Override
    public long maskTokenId() {
        return maskTokenId;
    }

    @Override
    public TokenizedText encode(String text, boolean truncate) {
        Encoding encoding = tokenizer.encode(text);
        long[] ids = encoding.getIds();
        String[] tokens = encoding.getTokens();
        boolean exceeded = encoding.exceedMaxLength();
        if (bos.add() && (ids.length == 0 || ids[0] != bos.id())) {
            ids = prepend(ids, bos.id(), maxTokens);
            tokens = prepend(tokens, bosText, maxTokens);
            exceeded |= encoding.getIds().length + 1 > maxTokens;
        }
        if (exceeded && !truncate) {
            throw new ServingException(ErrorKind.INPUT_TOO_LONG, "input is longer than the model's limit of "
                    + maxTokens + " tokens; shorten it or set truncate", "input");
        }
        return new TokenizedText(ids, tokens, exceeded);
    }

    /** The value in front, then as many of the others as fit in {@code limit}. */
    private static long[] prepend(long[] ids, long first, int limit) {
        long[] out = new long[Math.min(ids.length + 1, limit)];
        out[0] = first;
        System.arraycopy(ids, 0, out, 1, out.length - 1);
        return out;
    }

    private static String[] prepend(String[] tokens, String first, int limit) {
        String[] out = new String[Math.min(tokens.length + 1, limit)];
        out[0] = first;
        System.arraycopy(tokens, 0, out, 1, out.length - 1);
        return out;
    }

    @Override
    public TokenizedPair encodePair(String query, String passage, boolean truncate, boolean truncateLeft) {
        Encoding encoding;
        try {
            encoding = pairs.encode(query, passage);
        } catch (RuntimeException e) {
            // tokenizers refuses only_second truncation when the query alone leaves no room for the passage
            throw new ServingException(ErrorKind.INPUT_TOO_LONG, "the query leaves no room for a text within the"
                    + " model's limit of " + maxTokens + " tokens", "query");
        }
        boolean exceeded = encoding.exceedMaxLength() || encoding.getIds().length > maxTokens;
        if (exceeded && !truncate) {
            throw new ServingException(ErrorKind.INPUT_TOO_LONG, "a (query, text) pair is longer than the model's"
                    + " limit of " + maxTokens + " tokens; shorten it or set truncate", "texts");
        }
        if (encoding.getIds().length > maxTokens) {
            throw new ServingException(ErrorKind.INPUT_TOO_LONG, "the query alone is longer than the model's limit"
                    + " of " + maxTokens + " tokens", "query");
        }
        if (exceeded && truncateLeft) {
            // Keep the passage's last tokens: as many as right truncation kept, counted from the end.
            Encoding whole = untruncated.encode(passage, false, false);
            int kept = 0;
            for (long sequence : encoding.getSequenceIds()) {
                kept += sequence == 1 ? 1 : 0;
            }
            int first = Math.max(0, Math.min(whole.getIds().length - 1, whole.getIds().length - kept));
            int from = whole.getCharTokenSpans()[first].getStart();
            encoding = pairs.encode(query, passage.substring(from));
        }
        return new TokenizedPair(encoding.getIds(), encoding.getTypeIds(), exceeded);
    }

    @Override
    public int maxTokens() {
        return maxTokens;
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    @Override
    public int vocabularySize() {
        return vocabularySize;
    }

    /** Read from tokenizer.json on first use (only constrained requests need it), then kept. */
    @Override
    public byte[][] tokenBytes() {
        if (!tokenBytesRead) {
            synchronized (this) {
                if (!tokenBytesRead) {
                    try {
                        tokenBytes = TokenByteStrings.read(tokenizerJson, vocabularySize);
                    } catch (IOException e) {
                        tokenBytes = null;
                    }
                    tokenBytesRead = true;
                }
            }
        }
        return tokenBytes;
    }

    @Override
    public void close() {
        tokenizer.close();
        pairs.close();
        untruncated.close();
    }
}
