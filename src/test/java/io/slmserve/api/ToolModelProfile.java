package io.slmserve.api;

import io.quarkus.test.junit.QuarkusTestProfile;
import io.slmserve.testing.GptFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Decoders with nano-gpt's weights and tokenizer (linked) with Qwen2.5's real chat template (the committed test
 * resource) and {@code option.reasoning_parser=deepseek_r1}: tools and tool_calls go through a template trained
 * models use, and, as nano-gpt never writes {@code </think>}, its whole reply is reasoning_content. Two more folders read the same files with the llama3_json and mistral
 * tool-call formats.
 */
public class ToolModelProfile implements QuarkusTestProfile {

    static final String MODEL = "nano-gpt-qwen";
    /** The same folder read with {@code option.tool_call_parser} llama3_json and mistral (forced-call tests). */
    static final String LLAMA3 = "nano-gpt-llama3-json";
    static final String MISTRAL = "nano-gpt-mistral";
    static final Path TEMPLATE = Path.of("src/test/resources/chat-templates/qwen2.5.jinja");

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Path root = Files.createTempDirectory("slm-tool-models-");
            folder(root, MODEL, "option.reasoning_parser=deepseek_r1\n");
            folder(root, LLAMA3, "option.tool_call_parser=llama3_json\n");
            folder(root, MISTRAL, "option.tool_call_parser=mistral\n");
            root.toFile().deleteOnExit();
            return Map.of("slm.models-dir", root.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void folder(Path root, String model, String options) throws IOException {
        Path dir = Files.createDirectories(root.resolve(model));
        Path source = GptFolder.dir();
        for (String file : new String[] {"model.pt", "tokenizer.json", "config.json"}) {
            Files.createSymbolicLink(dir.resolve(file), source.resolve(file));
        }
        String config = "{\"bos_token\": \"\", \"eos_token\": \"<|endoftext|>\", \"chat_template\": "
                + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Files.readString(TEMPLATE))
                + "}";
        Files.writeString(dir.resolve("tokenizer_config.json"), config);
        Files.writeString(dir.resolve("serving.properties"), "engine=PyTorch\noption.task=text-generation\n"
                + "batch_size=4\nmax_batch_delay=1\njob_queue_size=16\nminWorkers=1\nmaxWorkers=1\n"
                + "max_input_tokens=500\nmax_total_tokens=512\n" + options);
    }
}
