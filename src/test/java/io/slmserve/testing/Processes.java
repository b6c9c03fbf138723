package io.slmserve.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Child processes of the tests (the model tools in Python, the reference engines' own JVMs). */
public final class Processes {

    private Processes() {
    }

    /** /usr/bin/python3 (Debian's, with torch 1.13) on a script of the project, from the project root. */
    public static String python(String script, Object... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/python3", Path.of(script).toAbsolutePath().toString()));
        for (Object a : args) {
            cmd.add(a.toString());
        }
        return run(new ProcessBuilder(cmd), Map.of(), 300);
    }

    /** Runs a process to its end (stdout and stderr together); a non-zero exit or a timeout throws with the output. */
    public static String run(ProcessBuilder pb, Map<String, String> env, int timeoutSeconds)
            throws IOException, InterruptedException {
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Path log = Files.createTempFile("slm-proc", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        try {
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (!done) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + pb.command() + "\n" + out);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("exit " + p.exitValue() + ": " + pb.command() + "\n" + out);
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
