package io.slmserve.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * nano-gpt (the real checkpoint) under several chat templates: three real ones (Qwen2.5, Qwen3, Gemma 2, from
 * the golden test resources), one that does not parse, one that raises on every conversation, and the one that
 * does not parse again with option.chat_template_on_error=plain.
 */
public class ChatTemplateProfile implements QuarkusTestProfile {

    static final String QWEN25 = "chat-qwen25";
    static final String QWEN3 = "chat-qwen3";
    static final String GEMMA2 = "chat-gemma2";
    static final String BROKEN = "chat-broken-syntax";
    static final String RAISES = "chat-raises";
    static final String PLAIN = "chat-plain-on-error";
    static final String BROKEN_TEMPLATE = "{% for message in messages %}{{ message.content }}";
    static final String RAISING_TEMPLATE = "{{ raise_exception('This template rejects every conversation') }}";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("slm.models-dir", build().toString());
    }

    static String resource(String name) {
        try (InputStream in = ChatTemplateProfile.class.getResourceAsStream("/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path build() {
        try {
            Path root = Files.createTempDirectory("slm-chat-models-");
            model(root, QWEN25, resource("qwen2.5.jinja"), "", "<|im_end|>", "");
            model(root, QWEN3, resource("qwen3.jinja"), "", "<|im_end|>", "");
            model(root, GEMMA2, resource("gemma2.jinja"), "<bos>", "<eos>", "");
            model(root, BROKEN, BROKEN_TEMPLATE, "", "", "");
            model(root, RAISES, RAISING_TEMPLATE, "", "", "");
            model(root, PLAIN, BROKEN_TEMPLATE, "", "", "option.chat_template_on_error=plain\n");
            root.toFile().deleteOnExit();
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void model(Path root, String name, String template, String bos, String eos, String extra)
            throws IOException {
        Path source = Path.of("models/nano-gpt").toAbsolutePath();
        Path dir = Files.createDirectories(root.resolve(name));
        for (String file : new String[] {"tokenizer.json", "config.json", "model.pt"}) {
            Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("bos_token", bos);
        config.put("eos_token", eos);
        config.put("chat_template", template);
        new ObjectMapper().writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
        Files.writeString(dir.resolve("serving.properties"), """
                engine=PyTorch
                option.task=text-generation
                batch_size=2
                max_batch_delay=1
                job_queue_size=8
                minWorkers=1
                maxWorkers=1
                max_input_tokens=384
                max_total_tokens=512
                """ + extra);
    }
}
