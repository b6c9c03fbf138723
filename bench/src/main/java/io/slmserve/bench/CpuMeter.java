package io.slmserve.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of this process, of another process (the service) and of the whole machine, so that each timed window
 * can say how many cores went to the server, to the load generator and to anything else on the box.
 * Linux only (reads /proc); where /proc is missing the figures come back as NaN.
 */
final class CpuMeter {

    /** USER_HZ: the unit of /proc/[pid]/stat and /proc/stat times; 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private final long otherPid;
    private long wallStart;
    private double selfStart;
    private double otherStart;
    private double busyStart;

    double selfCores = Double.NaN;
    double otherCores = Double.NaN;
    double machineCores = Double.NaN;

    CpuMeter(long otherPid) {
        this.otherPid = otherPid;
    }

    void start() {
        wallStart = System.nanoTime();
        selfStart = selfSeconds();
        otherStart = processSeconds(otherPid);
        busyStart = machineBusySeconds();
    }

    /** Stops and fills the fields with cores used on average over the window. */
    void stop() {
        double wall = (System.nanoTime() - wallStart) / 1e9;
        selfCores = (selfSeconds() - selfStart) / wall;
        otherCores = (processSeconds(otherPid) - otherStart) / wall;
        machineCores = (machineBusySeconds() - busyStart) / wall;
    }

    static double selfSeconds() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    static double processSeconds(long pid) {
        if (pid <= 0) {
            return Double.NaN;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after the command: state(0) ppid(1) ... utime(11) stime(12)
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static double machineBusySeconds() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
            return (total - idle) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
