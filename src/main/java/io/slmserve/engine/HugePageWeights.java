package io.slmserve.engine;

import ai.djl.Device;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.slmserve.config.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * Moves the process's dense anonymous memory, a loaded decoder's weights above all, onto 2 MiB transparent huge
 * pages (slm.engine.huge-pages), with {@code madvise(MADV_HUGEPAGE)} and then {@code madvise(MADV_COLLAPSE)}.
 *
 * <p>Why: a one-row decode step streams every weight once, and on 4 KiB pages that stream takes a TLB miss every
 * 4 KiB and the hardware prefetchers stop at every page boundary. On the 2-core benchmark machines a vectorised read
 * of 1 GiB went from 24-29 to 30-32 GB/s on huge pages, and in one process a decode step of the same archive took
 * 0.94-0.98x the time on them (bench/generation/README.md, "Huge pages"). libtorch, oneDNN and FBGEMM allocate
 * through glibc's malloc, which under the usual THP mode "madvise" never asks for huge pages unless the JVM was
 * started with {@code GLIBC_TUNABLES=glibc.malloc.hugetlb=1}; collapsing after the load needs no launch flag.
 *
 * <p>Only private, writable, anonymous mappings that are at least 90% resident are collapsed, so reserved but
 * untouched memory (a sparse Java heap, thread stacks' guard space) is not made resident. The collapse copies the
 * pages in place; other threads may keep using the memory meanwhile (the kernel's khugepaged does the same). It
 * needs Linux 6.1 or later and free huge pages: where it fails, that memory stays on 4 KiB pages and the outcome
 * says why in the log; a model never fails to load for it.
 */
final class HugePageWeights {

    /** uapi/asm-generic/mman-common.h */
    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_COLLAPSE = 25;
    private static final int EAGAIN = 11;
    static final long HUGE_PAGE = 2L << 20;
    static final double MIN_RESIDENT = 0.9;
    /** The first line of a mapping in smaps: its address range, then perms, offset, device, inode and path. */
    private static final Pattern HEADER = Pattern.compile("[0-9a-f]+-[0-9a-f]+ ");
    private static final Logger LOG = Logger.getLogger(HugePageWeights.class);
    /** How long after the last load the collapse runs. */
    static final Duration QUIET = Duration.ofSeconds(2);
    private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slm-huge-pages");
        t.setDaemon(true);
        return t;
    });
    private static final Set<String> waiting = new LinkedHashSet<>();
    private static ScheduledFuture<?> scheduled;
    private static final Object COLLAPSING = new Object();

    private HugePageWeights() {
    }

    /** A 2 MiB-aligned address range [start, end). */
    record Range(long start, long end) {
        long bytes() {
            return end - start;
        }
    }

    /** What one collapse did: the bytes collapsed, and the first failure or null. */
    record Outcome(long bytes, String failure) {
        String describe() {
            String done = (bytes >> 20) + " MiB of the process collapsed onto huge pages";
            return failure == null ? done : done + " (" + failure + ")";
        }
    }

    /**
     * After a model on the CPU has loaded, when slm.engine.huge-pages is on: schedules one collapse, on a daemon
     * thread, {@link #QUIET} after the last such load, and logs what it did. Later and in the background because a
     * collapse copies memory (about 0.2 s per 512 MiB here, plus compaction): run inside each load it delayed
     * readiness with the bundled models by about 0.5 s; a start that loads several models now pays for one collapse,
     * once they are all loaded. The models serve correctly before and during it.
     */
    static synchronized void collapseLater(ServerConfig.Engine settings, Device device, String modelId) {
        if (!settings.hugePages() || device.isGpu()) {
            return;
        }
        if (scheduled != null) {
            scheduled.cancel(false);
        }
        waiting.add(modelId);
        scheduled = SCHEDULER.schedule(HugePageWeights::collapseAndLog, QUIET.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether a load of this model waits for the next scheduled collapse. */
    static synchronized boolean waitingFor(String modelId) {
        return waiting.contains(modelId);
    }

    /** Whether a scheduled collapse has yet to finish. */
    static synchronized boolean pending() {
        return scheduled != null && !scheduled.isDone();
    }

    private static void collapseAndLog() {
        String models;
        synchronized (HugePageWeights.class) {
            models = String.join(", ", waiting);
            waiting.clear();
        }
        long start = System.nanoTime();
        Outcome outcome = collapse();
        LOG.infof("after loading %s: %s in %d ms", models, outcome.describe(), (System.nanoTime() - start) / 1_000_000);
    }

    /** Collapses every candidate of /proc/self/smaps, one caller at a time; never throws. */
    static Outcome collapse() {
        synchronized (COLLAPSING) {
            return collapseCandidates();
        }
    }

    private static Outcome collapseCandidates() {
        List<Range> ranges;
        try {
            ranges = candidates(Files.readAllLines(Path.of("/proc/self/smaps")), MIN_RESIDENT);
        } catch (IOException | RuntimeException e) {
            return new Outcome(0, "no /proc/self/smaps: " + e.getMessage());
        }
        long bytes = 0;
        String failure = null;
        try {
            for (Range r : ranges) {
                int errno = collapseRange(new Pointer(r.start()), r.bytes());
                if (errno == 0) {
                    bytes += r.bytes();
                } else if (failure == null) {
                    // ENOMEM: no free huge page; EINVAL: a kernel before 6.1 or THP disabled
                    failure = "madvise errno " + errno;
                }
            }
        } catch (LinkageError e) {
            return new Outcome(bytes, "no madvise: " + e.getMessage());
        }
        return new Outcome(bytes, failure);
    }

    /**
     * madvise(MADV_HUGEPAGE), then MADV_COLLAPSE, once more after EAGAIN (transient: a page locked or under
     * migration). Returns 0 or the errno.
     */
    private static int collapseRange(Pointer p, long bytes) {
        if (LibC.madvise(p, bytes, MADV_HUGEPAGE) != 0) {
            return Native.getLastError();
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            if (LibC.madvise(p, bytes, MADV_COLLAPSE) == 0) {
                return 0;
            }
            if (Native.getLastError() != EAGAIN) {
                break;
            }
        }
        return Native.getLastError();
    }

    /**
     * The 2 MiB-aligned inner ranges of the private, writable, anonymous mappings (no path, or glibc's [heap]) in
     * smaps text whose resident share is at least {@code minResident} and that are not on huge pages already.
     */
    static List<Range> candidates(List<String> smaps, double minResident) {
        List<Range> out = new ArrayList<>();
        for (int i = 0; i < smaps.size(); i++) {
            if (!HEADER.matcher(smaps.get(i)).lookingAt()) {
                continue;
            }
            String[] head = smaps.get(i).trim().split("\\s+");
            boolean anonymous = head.length == 5 || (head.length == 6 && head[5].equals("[heap]"));
            if (!anonymous || !head[1].equals("rw-p")) {
                continue;
            }
            String[] bounds = head[0].split("-");
            long start = (Long.parseUnsignedLong(bounds[0], 16) + HUGE_PAGE - 1) & -HUGE_PAGE;
            long end = Long.parseUnsignedLong(bounds[1], 16) & -HUGE_PAGE;
            long size = kib(smaps, i, "Size:");
            if (end <= start || kib(smaps, i, "Rss:") < minResident * size
                    || kib(smaps, i, "AnonHugePages:") >= end - start) {
                continue;
            }
            out.add(new Range(start, end));
        }
        return out;
    }

    /** A field of the mapping whose header is line {@code head}, in bytes (smaps gives kB); 0 when absent. */
    private static long kib(List<String> smaps, int head, String name) {
        for (int j = head + 1; j < smaps.size() && !HEADER.matcher(smaps.get(j)).lookingAt(); j++) {
            String line = smaps.get(j);
            if (line.startsWith(name)) {
                return Long.parseLong(line.substring(name.length()).replace("kB", "").trim()) * 1024;
            }
        }
        return 0;
    }

    /** glibc's madvise through JNA's direct mapping (JNA: a direct dependency, pinned for DJL's tokenizers). */
    private static final class LibC {
        static {
            Native.register("c");
        }

        static native int madvise(Pointer addr, long length, int advice);
    }
}
