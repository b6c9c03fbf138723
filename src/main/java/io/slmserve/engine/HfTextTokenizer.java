package io.slmserve.engine;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.slmserve.core.ErrorKind;
import io.slmserve.core.ServingException;
import io.slmserve.core.TextTokenizer;
import io.slmserve.core.TokenizedText;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The model folder's tokenizer.json through DJL's Rust-backed Hugging Face tokenizer. Truncation is set to
 * the model's token limit, so one encode both truncates and tells whether anything was dropped.
 */
final class HfTextTokenizer implements TextTokenizer, AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int maxTokens;
    private final int vocabularySize;
    private final String maskToken;
    private final long maskTokenId;
    private final Path tokenizerJson;
    private volatile byte[][] tokenBytes;
    private volatile boolean tokenBytesRead;

    HfTextTokenizer(Path tokenizerJson, int maxTokens, int vocabularySize, String maskToken) throws IOException {
        this.tokenizer = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerJson)
                .optAddSpecialTokens(true)
                .optPadding(false)
                .optTruncation(true)
                .optMaxLength(maxTokens)
                .build();
        this.maxTokens = maxTokens;
        this.tokenizerJson = tokenizerJson;
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
    }
}
