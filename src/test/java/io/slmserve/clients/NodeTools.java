package io.slmserve.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the npm tools of src/test/js as child processes and collects their exit code and output. */
final class NodeTools {

    static final Path JS = Path.of("src/test/js").toAbsolutePath();
    private static final String INSTALL = "install them with `bash .ci/install-deps.sh` (npm ci --prefix src/test/js)";

    private NodeTools() {
    }

    /** The exit code and the merged stdout and stderr of one run. */
    record Result(int exitCode, String output) {
    }

    /** An installed package's directory; fails (does not skip) when node_modules lacks it. */
    static Path requirePackage(String name) {
        Path dir = JS.resolve("node_modules").resolve(name);
        if (!Files.isRegularFile(dir.resolve("package.json"))) {
            throw new AssertionError("npm package " + name + " is not installed in " + JS.resolve("node_modules")
                    + "; " + INSTALL);
        }
        return dir;
    }

    /** A command from node_modules/.bin, e.g. redocly. */
    static String bin(String packageName, String command) {
        requirePackage(packageName);
        Path bin = JS.resolve("node_modules/.bin").resolve(command);
        if (!Files.isExecutable(bin)) {
            throw new AssertionError(bin + " is missing; " + INSTALL);
        }
        return bin.toString();
    }

    /** Runs the command in the project root, offline-friendly (no telemetry, no update checks). */
    static Result run(long timeoutSeconds, String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        ProcessBuilder builder = new ProcessBuilder(args).redirectErrorStream(true);
        builder.environment().put("REDOCLY_TELEMETRY", "off");
        builder.environment().put("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true");
        builder.environment().put("NO_UPDATE_NOTIFIER", "1");
        builder.environment().put("NO_COLOR", "1");
        Path log = null;
        try {
            log = Files.createTempFile("slm-node-", ".log");
            Process process = builder.redirectOutput(log.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + timeoutSeconds + " s: " + String.join(" ", args) + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + args + " (is node on the PATH?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + args, e);
        } finally {
            if (log != null) {
                log.toFile().delete();
            }
        }
    }
}
