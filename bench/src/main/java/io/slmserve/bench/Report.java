package io.slmserve.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/** Renders the raw figures of one run as the plain-text table that goes to stdout and bench/results/. */
final class Report {

    private static final double SHORT_VS_ORT = 0.80;
    private static final double LONG_VS_ORT = 0.80;

    private Report() {
    }

    static String render(Properties p) {
        StringBuilder s = new StringBuilder();
        String batch = p.getProperty("inproc.batch", "32");
        double ceiling = Math.max(num(p, "gemm.1024"), num(p, "gemm.2048"));
        double flopShort = MiniLm.flopPerSentence(num(p, "tokens.short.mean"), num(p, "tokens.short.meansq"));
        double flopLong = MiniLm.flopPerSentence(num(p, "tokens.long.mean"), num(p, "tokens.long.meansq"));

        line(s, "slm-serve embedding benchmark, all-MiniLM-L6-v2, %s", p.getProperty("meta.date", "?"));
        line(s, "machine: %s; %s", p.getProperty("meta.machine", "?"), p.getProperty("meta.java", "?"));
        line(s, "windows: %s s timed after %s s warm-up per row", p.getProperty("meta.window", "?"),
                p.getProperty("meta.warmup", "?"));
        line(s, "inputs: short %s sentences, mean %.2f tokens; long %s texts, mean %.2f tokens ([CLS]/[SEP] included)",
                p.getProperty("tokens.short.count"), num(p, "tokens.short.mean"), p.getProperty("tokens.long.count"),
                num(p, "tokens.long.mean"));
        line(s, "useful work per sentence (21.2 MFLOP/token matmuls + 9,216*T/token attention, padding not counted):"
                + " short %.3f GFLOP, long %.3f GFLOP", flopShort / 1e9, flopLong / 1e9);
        line(s, "ceiling: DJL fp32 matMul 1024^3 %.1f GFLOP/s, 2048^3 %.1f GFLOP/s (%s); ceiling = %.1f",
                num(p, "gemm.1024"), num(p, "gemm.2048"), p.getProperty("gemm.engine", "?"), ceiling);
        line(s, "ONNX Runtime %s, intra-op threads %s, inter-op 1, ALL_OPT; langchain4j default executor; "
                + "HTTP: one text per request, encoding_format %s", "1.21.1", p.getProperty("ort.threads", "?"),
                p.getProperty("http.encoding", "?"));
        if (p.getProperty("service.readySeconds") != null) {
            line(s, "service: ready %s s after start; log %s", p.getProperty("service.readySeconds"),
                    p.getProperty("service.log"));
        }
        s.append('\n');

        line(s, "%-36s | %9s %8s %6s %7s | %9s %8s %6s %7s", "contender", "short/s", "GFLOP/s", "%ceil", "/core-s",
                "long/s", "GFLOP/s", "%ceil", "/core-s");
        line(s, "%s", "-".repeat(36) + "-+-" + "-".repeat(33) + "-+-" + "-".repeat(33));
        row(s, p, "ONNX Runtime in-process, batch 1", "ort.b1", ".cores", flopShort, flopLong, ceiling);
        row(s, p, "ONNX Runtime in-process, batch " + batch, "ort.bN", ".cores", flopShort, flopLong, ceiling);
        row(s, p, "langchain4j embedAll(" + batch + ")", "l4j", ".cores", flopShort, flopLong, ceiling);
        List<Integer> conc = concurrencies(p);
        for (int c : conc) {
            row(s, p, "slm-serve HTTP, concurrency " + c, "http.c" + c, ".server", flopShort, flopLong, ceiling);
        }
        line(s, "(/core-s: sentences per CPU-second of the contender's own process, service only for HTTP rows;"
                + " less sensitive to other load than sentences/s)");
        s.append('\n');

        line(s, "HTTP latency (ms) and CPU (cores, averaged over the window)");
        line(s, "%4s %-5s | %8s %8s %8s | %6s %6s | %6s %6s %7s", "conc", "input", "p50", "p90", "p99", "ok",
                "errors", "server", "client", "machine");
        for (int c : conc) {
            for (String set : new String[] {"short", "long"}) {
                String k = "http.c" + c + "." + set;
                if (p.getProperty(k + ".sps") == null) {
                    continue;
                }
                line(s, "%4d %-5s | %8.1f %8.1f %8.1f | %6s %6s | %6.2f %6.2f %7.2f", c, set, num(p, k + ".p50"),
                        num(p, k + ".p90"), num(p, k + ".p99"), p.getProperty(k + ".ok"), p.getProperty(k + ".errors"),
                        num(p, k + ".server"), num(p, k + ".client"), num(p, k + ".machine"));
            }
        }
        line(s, "(machine - server - client = whatever else ran on the box during the window)");
        line(s, "%s", otherLoad(p, conc));
        s.append('\n');

        int top = conc.contains(32) ? 32 : conc.isEmpty() ? 32 : conc.get(conc.size() - 1);
        String http = "http.c" + top;
        line(s, "ratios (acceptance)");
        ratio(s, p, "service c" + top + " / ORT batch " + batch + ", short", http + ".short", "ort.bN.short", SHORT_VS_ORT, false);
        ratio(s, p, "service c" + top + " / ORT batch " + batch + ", long", http + ".long", "ort.bN.long", LONG_VS_ORT, false);
        ratio(s, p, "service c" + top + " / langchain4j, short", http + ".short", "l4j.short", 1.0, true);
        ratio(s, p, "service c" + top + " / langchain4j, long", http + ".long", "l4j.long", Double.NaN, true);
        perCore(s, p, "per CPU-second: service c" + top + " / ORT batch " + batch + ", short", http + ".short",
                "ort.bN.short");
        perCore(s, p, "per CPU-second: service c" + top + " / ORT batch " + batch + ", long", http + ".long",
                "ort.bN.long");
        ratio(s, p, "service c1 / ORT batch 1, short", "http.c1.short", "ort.b1.short", Double.NaN, false);
        ratio(s, p, "service c1 / ORT batch 1, long", "http.c1.long", "ort.b1.long", Double.NaN, false);
        if (p.getProperty("paired.short.http") != null) {
            line(s, "paired windows (%s):", p.getProperty("paired.setup"));
            for (String set : new String[] {"short", "long"}) {
                double r = num(p, "paired." + set + ".http") / num(p, "paired." + set + ".ort");
                line(s, "  %-52s %6s  (>= 0.80: %s; service %.1f/s, ORT %.1f/s; per round %s)",
                        "alternating: service / ORT batch " + batch + ", " + set, String.format(Locale.ROOT, "%.2fx", r),
                        r >= SHORT_VS_ORT ? "PASS" : "FAIL", num(p, "paired." + set + ".http"),
                        num(p, "paired." + set + ".ort"), p.getProperty("paired." + set + ".rounds"));
            }
        }
        if (p.getProperty("check.mincos") != null) {
            double cos = num(p, "check.mincos");
            line(s, "correctness: min cosine service vs ORT over %s texts (float and base64) = %.7f  (> 0.999: %s); tokens: %s",
                    p.getProperty("check.n"), cos, cos > 0.999 ? "PASS" : "FAIL", p.getProperty("check.tokens", "?"));
        } else {
            line(s, "correctness: not checked (%s)", p.getProperty("check.error", "no service URL given"));
        }
        return s.toString();
    }

    private static void row(StringBuilder s, Properties p, String label, String key, String coresKey,
                            double flopShort, double flopLong, double ceiling) {
        double sh = num(p, key + ".short.sps");
        double lo = num(p, key + ".long.sps");
        double shCores = num(p, key + ".short" + coresKey);
        double loCores = num(p, key + ".long" + coresKey);
        line(s, "%-36s | %9s %8s %6s %7s | %9s %8s %6s %7s", label, f1(sh), f1(sh * flopShort / 1e9),
                pct(sh * flopShort / 1e9 / ceiling), f1(sh / shCores), f1(lo), f1(lo * flopLong / 1e9),
                pct(lo * flopLong / 1e9 / ceiling), f1(lo / loCores));
    }

    private static void ratio(StringBuilder s, Properties p, String label, String num, String den, double threshold,
                              boolean strict) {
        double r = num(p, num + ".sps") / num(p, den + ".sps");
        String verdict = "";
        if (!Double.isNaN(threshold)) {
            boolean pass = strict ? r > threshold : r >= threshold;
            verdict = String.format(Locale.ROOT, "  (%s %.2f: %s)", strict ? ">" : ">=", threshold,
                    Double.isNaN(r) ? "n/a" : pass ? "PASS" : "FAIL");
        }
        line(s, "  %-52s %6s%s", label, Double.isNaN(r) ? "n/a" : String.format(Locale.ROOT, "%.2fx", r), verdict);
    }

    /** The largest CPU use by anything but the contender in any window: a noise flag for the whole run. */
    private static String otherLoad(Properties p, List<Integer> conc) {
        double worst = 0;
        String where = "-";
        List<String[]> rows = new ArrayList<>();
        for (String k : new String[] {"ort.b1", "ort.bN", "l4j"}) {
            for (String set : new String[] {"short", "long"}) {
                rows.add(new String[] {k + "." + set, k + "." + set + ".machine", k + "." + set + ".cores", null});
            }
        }
        for (int c : conc) {
            for (String set : new String[] {"short", "long"}) {
                String k = "http.c" + c + "." + set;
                rows.add(new String[] {k, k + ".machine", k + ".server", k + ".client"});
            }
        }
        for (String[] r : rows) {
            double other = num(p, r[1]) - num(p, r[2]) - (r[3] == null ? 0 : num(p, r[3]));
            if (!Double.isNaN(other) && other > worst) {
                worst = other;
                where = r[0];
            }
        }
        return String.format(Locale.ROOT, "other load: at most %.2f cores taken by other processes in any window (%s)%s",
                worst, where, worst > 0.25 ? "  <- NOISY RUN: figures are low by up to that share; rerun on a quiet box" : "");
    }

    /** The same ratio on sentences per CPU-second (service process vs in-process contender): a noise cross-check. */
    private static void perCore(StringBuilder s, Properties p, String label, String http, String inproc) {
        double r = (num(p, http + ".sps") / num(p, http + ".server")) / (num(p, inproc + ".sps") / num(p, inproc + ".cores"));
        line(s, "  %-52s %6s  (information)", label, Double.isNaN(r) || Double.isInfinite(r) ? "n/a"
                : String.format(Locale.ROOT, "%.2fx", r));
    }

    private static List<Integer> concurrencies(Properties p) {
        List<Integer> out = new ArrayList<>();
        for (String c : p.getProperty("http.concurrency", "").split(",")) {
            if (!c.isBlank()) {
                out.add(Integer.parseInt(c.trim()));
            }
        }
        return out;
    }

    private static double num(Properties p, String key) {
        String v = p.getProperty(key);
        return v == null ? Double.NaN : Double.parseDouble(v);
    }

    private static String f1(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static void line(StringBuilder s, String format, Object... args) {
        s.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
