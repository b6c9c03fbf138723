package io.slmserve.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Random-weight encoder folders of every family, written once per test JVM by
 * {@code models/tools/encoder_fixtures.py} (Debian's torch 1.13): each fixture has {@code served/} (the converted
 * folder) and {@code reference.json} (the eager Python reference module's outputs on fixed inputs).
 */
public final class EncoderFixtures {

    /** name=family:architecture:pooling:labels, as encoder_fixtures.py takes them. */
    private static final String[] SPECS = {
        "bert-cls=bert:BertModel:cls:0",
        "bert-plain=bert:BertModel:none:0",
        "roberta=roberta:RobertaModel:mean:0",
        "xlmr-rerank=xlm-roberta:XLMRobertaForSequenceClassification:none:1",
        "distilbert=distilbert:DistilBertModel:cls:0",
        "distilbert-cls3=distilbert:DistilBertForSequenceClassification:none:3",
        "bert-rerank=bert:BertForSequenceClassification:none:1",
    };
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path root;

    private EncoderFixtures() {
    }

    /** The fixture's folder (served/, snapshot/, reference.json). */
    public static synchronized Path dir(String name) throws IOException, InterruptedException {
        if (root == null) {
            Path dir = Files.createTempDirectory("encoder-fixtures");
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", "models/tools/encoder_fixtures.py",
                    dir.toString()));
            cmd.addAll(List.of(SPECS));
            Process python = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(python.getInputStream().readAllBytes());
            if (python.waitFor() != 0) {
                throw new IllegalStateException("encoder_fixtures.py failed:\n" + output);
            }
            root = dir;
        }
        return root.resolve(name);
    }

    /** reference.json: inputs (token ids per row) and output ([B][T][H] token states or [B][labels] logits). */
    public static JsonNode reference(String name) throws IOException, InterruptedException {
        return JSON.readTree(dir(name).resolve("reference.json").toFile());
    }

    /** A copy of a fixture's served folder, to edit (pooling files, serving.properties). */
    public static Path copyServed(String name, Path to) throws IOException, InterruptedException {
        Path from = dir(name).resolve("served");
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
