package io.slmserve.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Embedding throughput harness. Modes (bench/embeddings.sh runs them in this order):
 * <ul>
 *   <li>{@code inproc --out F [--url U]}: the in-process baselines on this machine (ONNX Runtime batch 1 and
 *       batch 32, langchain4j embedAll of 32), the DJL GEMM ceiling, and, with --url, the correctness check of
 *       the service against ORT;</li>
 *   <li>{@code http --url U --out F [--server-pid P]}: closed-loop load on POST /v1/embeddings at each
 *       concurrency, one sentence per request, short then long inputs;</li>
 *   <li>{@code report --in F1,F2 [--out T]}: the table and ratios;</li>
 *   <li>{@code inputs}: prints the input sets and their token counts.</li>
 * </ul>
 * Common options: --warmup S (3), --window S (10), --model ID (all-minilm-l6-v2).
 */
public final class EmbeddingBench {

    private EmbeddingBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: EmbeddingBench inproc|http|report|inputs [--key value ...]");
            System.exit(2);
        }
        Map<String, String> opt = options(args);
        switch (args[0]) {
            case "inproc" -> inProcess(opt);
            case "http" -> http(opt);
            case "paired" -> paired(opt);
            case "report" -> report(opt);
            case "inputs" -> printInputs();
            default -> {
                System.err.println("unknown mode " + args[0]);
                System.exit(2);
            }
        }
        System.exit(0); // ORT / libtorch / langchain4j executor threads must not keep the JVM alive
    }

    // ---------------------------------------------------------------- in-process baselines

    private static void inProcess(Map<String, String> opt) throws Exception {
        double warmup = dbl(opt, "warmup", 3);
        double window = dbl(opt, "window", 10);
        int ortThreads = (int) dbl(opt, "ort-threads", 2);
        int batch = (int) dbl(opt, "batch", 32);
        Properties out = new Properties();
        HuggingFaceTokenizer tokenizer = MiniLm.tokenizer();
        Inputs inputs = Inputs.build(tokenizer);
        recordInputs(out, inputs);
        out.setProperty("meta.date", java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).toString());
        out.setProperty("meta.machine", Machine.describe());
        out.setProperty("meta.java", System.getProperty("java.vm.name") + " " + Runtime.version());
        out.setProperty("meta.window", Double.toString(window));
        out.setProperty("meta.warmup", Double.toString(warmup));
        out.setProperty("inproc.batch", Integer.toString(batch));

        try (OrtEmbedder ort = new OrtEmbedder(MiniLm.onnxBytes(), tokenizer, ortThreads)) {
            out.setProperty("ort.threads", Integer.toString(ortThreads));
            for (boolean longSet : new boolean[] {false, true}) {
                for (int b : new int[] {1, batch}) {
                    List<String> texts = inputs.texts(longSet);
                    int[] cursor = {0};
                    Timed.Rate r = Timed.run(warmup, window, () -> {
                        List<String> chunk = slice(texts, cursor[0], b);
                        cursor[0] = (cursor[0] + b) % texts.size();
                        ort.embed(chunk);
                        return b;
                    });
                    put(out, "ort.b" + (b == 1 ? "1" : "N") + "." + set(longSet), r);
                }
            }
            if (opt.containsKey("url")) {
                check(out, ort, inputs, new ServiceClient(opt.get("url"), opt.getOrDefault("model", "all-minilm-l6-v2")));
            }
        }

        AllMiniLmL6V2EmbeddingModel l4j = new AllMiniLmL6V2EmbeddingModel();
        for (boolean longSet : new boolean[] {false, true}) {
            List<TextSegment> segments = inputs.texts(longSet).stream().map(TextSegment::from).toList();
            int[] cursor = {0};
            Timed.Rate r = Timed.run(warmup, window, () -> {
                List<TextSegment> chunk = slice(segments, cursor[0], batch);
                cursor[0] = (cursor[0] + batch) % segments.size();
                l4j.embedAll(chunk);
                return batch;
            });
            put(out, "l4j." + set(longSet), r);
        }

        int gemmThreads = (int) dbl(opt, "gemm-threads", Runtime.getRuntime().availableProcessors());
        Map<Integer, Double> gemm = GemmCeiling.measure(gemmThreads, Math.max(2, window / 4), 1024, 2048);
        out.setProperty("gemm.engine", GemmCeiling.describe());
        gemm.forEach((n, g) -> {
            out.setProperty("gemm." + n, fmt(g));
            log("GEMM %d^3 fp32: %.1f GFLOP/s", n, g);
        });
        store(out, Path.of(opt.get("out")));
    }

    /** The service's vectors against ORT's (batch 1) on short and long texts, with both encodings. */
    private static void check(Properties out, OrtEmbedder ort, Inputs inputs, ServiceClient service) {
        try {
            List<String> texts = new ArrayList<>(inputs.shortTexts.subList(0, 6));
            texts.addAll(inputs.longTexts.subList(0, 2));
            double min = 1;
            int n = 0;
            ServiceClient.Embeddings batchFloat = service.embed(texts, "float");
            for (int i = 0; i < texts.size(); i++) {
                min = Math.min(min, OrtEmbedder.cosine(batchFloat.vectors().get(i), ort.embed(List.of(texts.get(i)))[0]));
                n++;
            }
            int ours = 0;
            for (int i = 0; i < 6; i++) {
                ours += inputs.shortTokens[i];
            }
            ours += inputs.longTokens[0] + inputs.longTokens[1];
            out.setProperty("check.tokens", ours + " counted here, " + batchFloat.promptTokens() + " in usage.prompt_tokens");
            List<String> single = List.of(inputs.shortTexts.get(7));
            min = Math.min(min, OrtEmbedder.cosine(service.embed(single, "float").vectors().get(0), ort.embed(single)[0]));
            n++;
            List<String> b64 = List.of(inputs.shortTexts.get(8), inputs.longTexts.get(2));
            ServiceClient.Embeddings base64 = service.embed(b64, "base64");
            for (int i = 0; i < b64.size(); i++) {
                min = Math.min(min, OrtEmbedder.cosine(base64.vectors().get(i), ort.embed(List.of(b64.get(i)))[0]));
                n++;
            }
            out.setProperty("check.mincos", String.format(Locale.ROOT, "%.9f", min));
            out.setProperty("check.n", Integer.toString(n));
            log("correctness: min cosine service vs ORT over %d texts = %.9f", n, min);
        } catch (Exception e) {
            out.setProperty("check.error", String.valueOf(e));
            log("correctness check failed: %s", e);
        }
    }

    // ---------------------------------------------------------------- HTTP load

    private static void http(Map<String, String> opt) throws Exception {
        double warmup = dbl(opt, "warmup", 3);
        double window = dbl(opt, "window", 10);
        String model = opt.getOrDefault("model", "all-minilm-l6-v2");
        String encoding = opt.getOrDefault("encoding", "float");
        int perRequest = (int) dbl(opt, "per-request", 1);
        long serverPid = (long) dbl(opt, "server-pid", -1);
        java.net.URI url = java.net.URI.create(opt.get("url"));
        Properties out = new Properties();
        Inputs inputs = Inputs.build(MiniLm.tokenizer());
        recordInputs(out, inputs);
        out.setProperty("http.encoding", encoding);
        out.setProperty("http.perRequest", Integer.toString(perRequest));
        String concurrencies = opt.getOrDefault("concurrency", "1,8,32");
        out.setProperty("http.concurrency", concurrencies);
        for (boolean longSet : new boolean[] {false, true}) {
            List<String> texts = inputs.texts(longSet);
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                bodies.add(ServiceClient.body(model, slice(texts, i * perRequest, perRequest), encoding));
            }
            HttpLoad load = new HttpLoad(url.getHost(), url.getPort(), "/v1/embeddings", bodies);
            for (String c : concurrencies.split(",")) {
                int concurrency = Integer.parseInt(c.trim());
                HttpLoad.Result r = load.run(concurrency, warmup, window, serverPid);
                String key = "http.c" + concurrency + "." + set(longSet);
                out.setProperty(key + ".sps", fmt(r.requestsPerSecond() * perRequest));
                out.setProperty(key + ".ok", Long.toString(r.ok()));
                out.setProperty(key + ".errors", Long.toString(r.errors()));
                out.setProperty(key + ".p50", fmt(r.p50Ms()));
                out.setProperty(key + ".p90", fmt(r.p90Ms()));
                out.setProperty(key + ".p99", fmt(r.p99Ms()));
                out.setProperty(key + ".client", fmt(r.clientCores()));
                out.setProperty(key + ".server", fmt(r.serverCores()));
                out.setProperty(key + ".machine", fmt(r.machineCores()));
                log("HTTP c=%d %s: %.1f sentences/s, p50 %.1f ms, p99 %.1f ms, errors %d, cores: server %.2f client %.2f machine %.2f",
                        concurrency, set(longSet), r.requestsPerSecond() * perRequest, r.p50Ms(), r.p99Ms(), r.errors(),
                        r.serverCores(), r.clientCores(), r.machineCores());
            }
        }
        store(out, Path.of(opt.get("out")));
    }

    // ---------------------------------------------------------------- paired windows

    /**
     * For a shared, noisy machine: ORT batch 32 in-process and the service at one concurrency in alternating short
     * windows (ORT, service, ORT, service, ...), so both see about the same background load; the ratio of the
     * totals is the figure to trust when the main table is flagged NOISY.
     */
    private static void paired(Map<String, String> opt) throws Exception {
        double warmup = dbl(opt, "warmup", 1);
        double window = dbl(opt, "window", 4);
        int rounds = (int) dbl(opt, "rounds", 3);
        int batch = (int) dbl(opt, "batch", 32);
        int concurrency = (int) dbl(opt, "concurrency", 32);
        String model = opt.getOrDefault("model", "all-minilm-l6-v2");
        long serverPid = (long) dbl(opt, "server-pid", -1);
        java.net.URI url = java.net.URI.create(opt.get("url"));
        Properties out = new Properties();
        HuggingFaceTokenizer tokenizer = MiniLm.tokenizer();
        Inputs inputs = Inputs.build(tokenizer);
        out.setProperty("paired.setup", String.format(Locale.ROOT,
                "%d rounds of %.0f s windows (after %.0f s warm-up each), ORT batch %d vs service concurrency %d",
                rounds, window, warmup, batch, concurrency));
        try (OrtEmbedder ort = new OrtEmbedder(MiniLm.onnxBytes(), tokenizer, (int) dbl(opt, "ort-threads", 2))) {
            for (boolean longSet : new boolean[] {false, true}) {
                List<String> texts = inputs.texts(longSet);
                List<String> bodies = new ArrayList<>();
                for (String t : texts) {
                    bodies.add(ServiceClient.body(model, List.of(t), "float"));
                }
                HttpLoad load = new HttpLoad(url.getHost(), url.getPort(), "/v1/embeddings", bodies);
                double ortSentences = 0;
                double ortSeconds = 0;
                double httpSentences = 0;
                double httpSeconds = 0;
                StringBuilder perRound = new StringBuilder();
                int[] cursor = {0};
                // untimed first: both contenders warm on this set before round 1
                Timed.run(3, 0, () -> {
                    ort.embed(slice(texts, cursor[0], batch));
                    cursor[0] = (cursor[0] + batch) % texts.size();
                    return batch;
                });
                load.run(concurrency, 3, 0.5, serverPid);
                for (int r = 0; r < rounds; r++) {
                    Timed.Rate o = Timed.run(warmup, window, () -> {
                        ort.embed(slice(texts, cursor[0], batch));
                        cursor[0] = (cursor[0] + batch) % texts.size();
                        return batch;
                    });
                    HttpLoad.Result h = load.run(concurrency, warmup, window, serverPid);
                    ortSentences += o.sentences();
                    ortSeconds += o.seconds();
                    httpSentences += h.ok();
                    httpSeconds += h.seconds();
                    perRound.append(String.format(Locale.ROOT, "%s%.2f", r == 0 ? "" : " ",
                            h.requestsPerSecond() / o.sentencesPerSecond()));
                    log("paired %s round %d: ORT b%d %.1f/s (machine %.2f cores), service c%d %.1f/s (machine %.2f cores)",
                            set(longSet), r + 1, batch, o.sentencesPerSecond(), o.machineCores(), concurrency,
                            h.requestsPerSecond(), h.machineCores());
                }
                String key = "paired." + set(longSet);
                out.setProperty(key + ".ort", fmt(ortSentences / ortSeconds));
                out.setProperty(key + ".http", fmt(httpSentences / httpSeconds));
                out.setProperty(key + ".rounds", perRound.toString());
            }
        }
        store(out, Path.of(opt.get("out")));
    }

    // ---------------------------------------------------------------- report

    private static void report(Map<String, String> opt) throws IOException {
        Properties p = new Properties();
        for (String f : opt.get("in").split(",")) {
            try (Reader r = Files.newBufferedReader(Path.of(f.trim()), StandardCharsets.UTF_8)) {
                p.load(r);
            }
        }
        String text = Report.render(p);
        System.out.print(text);
        if (opt.containsKey("out")) {
            Path target = Path.of(opt.get("out"));
            if (target.getParent() != null) {
                Files.createDirectories(target.getParent());
            }
            Files.writeString(target, text, StandardCharsets.UTF_8);
        }
    }

    private static void printInputs() {
        HuggingFaceTokenizer tokenizer = MiniLm.tokenizer();
        Inputs inputs = Inputs.build(tokenizer);
        for (boolean longSet : new boolean[] {false, true}) {
            List<String> texts = inputs.texts(longSet);
            int[] tokens = inputs.tokens(longSet);
            for (int i = 0; i < texts.size(); i++) {
                System.out.println(set(longSet) + "\t" + tokens[i] + "\t" + texts.get(i));
            }
            System.out.printf(Locale.ROOT, "# %s: %d texts, mean %.2f tokens, min %d, max %d%n", set(longSet),
                    texts.size(), Inputs.mean(tokens), java.util.Arrays.stream(tokens).min().orElse(0),
                    java.util.Arrays.stream(tokens).max().orElse(0));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void recordInputs(Properties out, Inputs inputs) {
        for (boolean longSet : new boolean[] {false, true}) {
            String s = set(longSet);
            out.setProperty("tokens." + s + ".count", Integer.toString(inputs.texts(longSet).size()));
            out.setProperty("tokens." + s + ".mean", fmt(Inputs.mean(inputs.tokens(longSet))));
            out.setProperty("tokens." + s + ".meansq", fmt(Inputs.meanSquare(inputs.tokens(longSet))));
        }
    }

    private static void put(Properties out, String key, Timed.Rate r) {
        out.setProperty(key + ".sps", fmt(r.sentencesPerSecond()));
        out.setProperty(key + ".cores", fmt(r.cores()));
        out.setProperty(key + ".machine", fmt(r.machineCores()));
        log("%s: %.1f sentences/s (%d in %.1f s, %.2f cores, machine %.2f cores)", key, r.sentencesPerSecond(),
                r.sentences(), r.seconds(), r.cores(), r.machineCores());
    }

    private static <T> List<T> slice(List<T> all, int start, int n) {
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(all.get((start + i) % all.size()));
        }
        return out;
    }

    private static String set(boolean longSet) {
        return longSet ? "long" : "short";
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private static double dbl(Map<String, String> opt, String key, double dflt) {
        String v = opt.get(key);
        return v == null ? dflt : Double.parseDouble(v);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("expected --key value, got " + args[i]);
            }
            opt.put(args[i].substring(2), args[++i]);
        }
        return opt;
    }

    private static void store(Properties out, Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.store(w, "slm-serve embedding bench raw figures");
        }
    }

    static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }
}
