package io.slmserve.engine;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenizedPair;
import io.slmserve.core.TokenizedText;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The model folder's tokenizer.json through DJL's Rust-backed Hugging Face tokenizer. Truncation is set to
 * the model's token limit, so one encode both truncates and tells whether anything was dropped.
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

    HfTextTokenizer(Path tokenizerJson, int maxTokens, int vocabularySize, String maskToken) throws IOException {
        this.tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(true)
                .optPadding(false)
                .optTruncation(true)
                .optMaxLength(maxTokens)
                .build();
        this.pairs = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optAddSpecialTokens(true)
                .optPadding(false).optTruncateSecondOnly().optMaxLength(maxTokens).build();
        this.untruncated = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optAddSpecialTokens(false)
                .optPadding(false).optTruncation(false).build();
        this.maxTokens = maxTokens;
        this.vocabularySize = vocabularySize;
        this.maskToken = maskToken;
        this.maskTokenId = maskToken == null ? -1 : singleId(maskToken);
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
        boolean exceeded = encoding.exceedMaxLength();
        if (exceeded && !truncate) {
            throw new ServingException(ErrorKind.INPUT_TOO_LONG, "input is longer than the model's limit of "
                    + maxTokens + " tokens; shorten it or set truncate", "input");
        }
        return new TokenizedText(encoding.getIds(), encoding.getTokens(), exceeded);
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

    @Override
    public void close() {
        tokenizer.close();
        pairs.close();
        untruncated.close();
    }
}
