package io.slmserve.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** One line about the machine: CPU model, cores the JVM sees, memory, host name. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        String cpu = "unknown CPU";
        String mem = "";
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            cpu = lines.stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
            String total = Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\D+", "");
            mem = String.format(", %.0f GiB", Long.parseLong(total) / 1024.0 / 1024.0);
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores" + mem
                + (host.isEmpty() ? "" : ", host " + host);
    }
}
