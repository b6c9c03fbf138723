package io.slmserve.bench;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The bench's own copy of the service's {@code engine/HugePageWeights} (the bench does not depend on the service):
 * moves every dense anonymous mapping of this process onto 2 MiB transparent huge pages with
 * {@code madvise(MADV_HUGEPAGE)} and {@code madvise(MADV_COLLAPSE)} (Linux 6.1+), as the service does after a load.
 * {@link BenchArchive#load} calls it unless the options hold {@code no-huge-pages}; so {@code DecodeAb
 * --b-options no-huge-pages} compares one archive on huge pages (side A, loaded and collapsed first) with the same
 * archive on 4 KiB pages (side B) in one process.
 */
final class HugePages {

    private static final int MADV_HUGEPAGE = 14;
    private static final int MADV_COLLAPSE = 25;
    private static final long HUGE = 2L << 20;

    private HugePages() {
    }

    /** Native madvise through JNA's direct mapping. */
    static final class LibC {
        static {
            Native.register("c");
        }

        static native int madvise(Pointer addr, long length, int advice);
    }

    /** Collapses the anonymous private mappings whose resident share is at least 0.9; returns bytes collapsed. */
    static long collapseDense() throws IOException {
        long collapsed = 0;
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        for (int i = 0; i < lines.size(); i++) {
            String[] head = lines.get(i).split("\\s+");
            if (head.length < 5 || !head[0].contains("-") || !head[1].equals("rw-p") || head.length > 6
                    || (head.length == 6 && !head[5].equals("[heap]"))) {
                continue;
            }
            long size = field(lines, i, "Size:");
            long rss = field(lines, i, "Rss:");
            String[] range = head[0].split("-");
            long start = (Long.parseUnsignedLong(range[0], 16) + HUGE - 1) & -HUGE;
            long end = Long.parseUnsignedLong(range[1], 16) & -HUGE;
            if (end <= start || rss < 0.9 * size) {
                continue;
            }
            Pointer p = new Pointer(start);
            if (LibC.madvise(p, end - start, MADV_HUGEPAGE) == 0 && LibC.madvise(p, end - start, MADV_COLLAPSE) == 0) {
                collapsed += end - start;
            }
        }
        return collapsed;
    }

    private static long field(List<String> lines, int head, String name) {
        for (int j = head + 1; j < lines.size() && j < head + 30; j++) {
            String l = lines.get(j);
            if (l.startsWith(name)) {
                return Long.parseLong(l.substring(name.length()).replace("kB", "").strip()) * 1024;
            }
        }
        return 0;
    }
}
