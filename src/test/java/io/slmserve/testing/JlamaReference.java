package io.slmserve.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Jlama 0.8.4 as an independent reference engine: models/tools/jlama (a Java 21 program, built here with the
 * project's Maven wrapper from Maven Central artifacts) run in a process of its own on a JDK 21+, since the
 * project itself stays on Java 17. It reads a Hugging Face snapshot, not our archive.
 */
public final class JlamaReference {

    /** Jlama's first-step logits (raw, before any softmax) and its greedy tokens. */
    public record Run(float[] logits, long[] tokens) {
    }

    private static final Path PROJECT = Path.of("models/tools/jlama/pom.xml").toAbsolutePath();
    private static String classpath;

    private JlamaReference() {
    }

    /** A JDK 21+: system property jlama.java-home, environment JLAMA_JAVA_HOME, else the newest in /usr/lib/jvm. */
    public static Optional<Path> javaHome() {
        String configured = System.getProperty("jlama.java-home", System.getenv("JLAMA_JAVA_HOME"));
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured));
        }
        try (Stream<Path> jvms = Files.list(Path.of("/usr/lib/jvm"))) {
            return jvms.filter(j -> feature(j) >= 21).max((a, b) -> Integer.compare(feature(a), feature(b)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The JDK the Jlama comparisons run on. Missing, a test is skipped on a developer's machine, but CI fails:
     * there the comparison is the point.
     */
    public static Path requiredJavaHome() {
        Path jdk = javaHome().orElse(null);
        if (jdk == null && System.getenv("CI") != null) {
            throw new IllegalStateException("CI needs a JDK 21+ for the Jlama comparison (/usr/lib/jvm or JLAMA_JAVA_HOME)");
        }
        Assumptions.assumeTrue(jdk != null, "no JDK 21+ for Jlama");
        return jdk;
    }

    private static int feature(Path jdk) {
        Path release = jdk.resolve("release");
        if (!Files.isRegularFile(release) || !Files.isExecutable(jdk.resolve("bin/java"))) {
            return 0;
        }
        try (var in = Files.newBufferedReader(release)) {
            Properties p = new Properties();
            p.load(in);
            String version = p.getProperty("JAVA_VERSION", "\"0\"").replace("\"", "");
            return Integer.parseInt(version.split("[.+-]")[0]);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Builds models/tools/jlama once per test JVM (./mvnw package under the JDK 21+); returns its class path. */
    private static synchronized String classpath(Path javaHome) throws IOException, InterruptedException {
        if (classpath == null) {
            Path root = PROJECT.getParent().getParent().getParent().getParent();
            String out = Processes.run(new ProcessBuilder(root.resolve("mvnw").toString(), "-q", "-B", "-f", PROJECT.toString(),
                    "package"), Map.of("JAVA_HOME", javaHome.toString()), 300);
            Path target = PROJECT.getParent().resolve("target");
            if (!Files.isRegularFile(target.resolve("classpath.txt"))) {
                throw new IllegalStateException("models/tools/jlama did not build:\n" + out);
            }
            classpath = target.resolve("slm-serve-jlama.jar") + ":" + Files.readString(target.resolve("classpath.txt")).trim();
        }
        return classpath;
    }

    /** Jlama (fp32 weights) on a BERT snapshot: each sequence's last hidden states [sequence][position][hidden]. */
    public static float[][][] states(Path javaHome, Path snapshot, List<long[]> sequences)
            throws IOException, InterruptedException {
        String ids = sequences.stream().map(s -> Arrays.stream(s).mapToObj(Long::toString)
                .collect(Collectors.joining(","))).collect(Collectors.joining(";"));
        JsonNode node = new ObjectMapper().readTree(jlama(javaHome, "{\"states\"", "states", snapshot.toString(), ids))
                .get("states");
        float[][][] out = new float[node.size()][][];
        for (int s = 0; s < out.length; s++) {
            out[s] = new float[node.get(s).size()][];
            for (int t = 0; t < out[s].length; t++) {
                JsonNode v = node.get(s).get(t);
                out[s][t] = new float[v.size()];
                for (int j = 0; j < v.size(); j++) {
                    out[s][t][j] = (float) v.get(j).asDouble();
                }
            }
        }
        return out;
    }

    /** Runs JlamaRun with the arguments; returns its output line that starts with {@code prefix}. */
    private static String jlama(Path javaHome, String prefix, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(),
                "--add-modules", "jdk.incubator.vector",
                // Jlama's vector kernels assume widths that are multiples of the vector size; 256-bit vectors
                // (8 floats) fit every shape the checks use.
                "-XX:MaxVectorSize=32", "-Xmx1g", "-cp", classpath(javaHome), "io.slmserve.jlama.JlamaRun"));
        cmd.addAll(List.of(args));
        String out = Processes.run(new ProcessBuilder(cmd), Map.of(), 120);
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no result from Jlama:\n" + out));
    }

    /** Jlama (fp32 weights) on the snapshot: the prompt's first-step logits and `steps` greedy tokens. */
    public static Run check(Path javaHome, Path snapshot, long[] prompt, int steps)
            throws IOException, InterruptedException {
        String ids = Arrays.stream(prompt).mapToObj(Long::toString).collect(Collectors.joining(","));
        String json = jlama(javaHome, "{\"vocab\"", "check", snapshot.toString(), ids, Integer.toString(steps));
        JsonNode node = new ObjectMapper().readTree(json);
        float[] logits = new float[node.get("logits").size()];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) node.get("logits").get(i).asDouble();
        }
        long[] tokens = new long[node.get("tokens").size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = node.get("tokens").get(i).asLong();
        }
        return new Run(logits, tokens);
    }
}
