package io.slmserve.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.slmserve.config.ServerConfig;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HugePageWeightsTest {

    private static final long MIB = 1L << 20;
    private static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    /** Which smaps entries are collapsed, and the 2 MiB-aligned inner range of each. */
    @Test
    void picksDenseAnonymousPrivateWritableMappings() {
        List<String> smaps = List.of(
                // anonymous, 8 MiB, all resident, starts 1 MiB past a 2 MiB boundary: its inner 6 MiB
                "7f0000100000-7f0000900000 rw-p 00000000 00:00 0 ",
                "Size:               8192 kB", "Rss:                8192 kB", "AnonHugePages:         0 kB",
                // glibc's [heap], 91% resident: taken
                "55d000000000-55d000400000 rw-p 00000000 00:00 0                          [heap]",
                "Size:               4096 kB", "Rss:                3728 kB", "AnonHugePages:         0 kB",
                // sparse (50% resident): left alone, untouched memory would become resident
                "7f1000000000-7f1000800000 rw-p 00000000 00:00 0 ",
                "Size:               8192 kB", "Rss:                4096 kB", "AnonHugePages:         0 kB",
                // a file mapping, a read-only one and a shared one: left alone
                "7f2000000000-7f2000800000 rw-p 00000000 fd:01 1234                       /opt/lib/libtorch_cpu.so",
                "Size:               8192 kB", "Rss:                8192 kB", "AnonHugePages:         0 kB",
                "7f3000000000-7f3000800000 r--p 00000000 00:00 0 ",
                "Size:               8192 kB", "Rss:                8192 kB", "AnonHugePages:         0 kB",
                "7f4000000000-7f4000800000 rw-s 00000000 00:00 0 ",
                "Size:               8192 kB", "Rss:                8192 kB", "AnonHugePages:         0 kB",
                // on huge pages already: left alone
                "7f5000000000-7f5000800000 rw-p 00000000 00:00 0 ",
                "Size:               8192 kB", "Rss:                8192 kB", "AnonHugePages:      8192 kB",
                // no whole 2 MiB page inside: left alone
                "7f6000100000-7f6000300000 rw-p 00000000 00:00 0 ",
                "Size:               2048 kB", "Rss:                2048 kB", "AnonHugePages:         0 kB");
        List<HugePageWeights.Range> picked = HugePageWeights.candidates(smaps, HugePageWeights.MIN_RESIDENT);
        assertEquals(List.of(new HugePageWeights.Range(0x7f0000200000L, 0x7f0000800000L),
                new HugePageWeights.Range(0x55d000000000L, 0x55d000400000L)), picked);
    }

    /**
     * Through the real kernel: a dense 32 MiB native buffer ends on huge pages with its bytes unchanged (Linux 6.1+
     * with THP not "never", as on the machines this project runs on).
     */
    @Test
    void collapsesADenseBufferAndKeepsItsBytes() throws Exception {
        awaitNoPendingCollapse();
        ByteBuffer buf = denseBuffer();
        long address = Pointer.nativeValue(Native.getDirectBufferPointer(buf));
        if (!Files.readString(THP_MODE).contains("[always]")) { // "madvise": malloc'd memory starts on 4 KiB pages
            assertTrue(anonHugePages(address, buf.capacity()) < 2 * MIB, "on 4 KiB pages before");
        }
        HugePageWeights.Outcome outcome = HugePageWeights.collapse();
        assertTrue(outcome.bytes() >= 30 * MIB, outcome.describe());
        long after = anonHugePages(address, buf.capacity());
        assertTrue(after >= 30 * MIB, "huge pages after: " + after + "; " + outcome.describe());
        assertBytes(buf);
        assertTrue(HugePageWeights.candidates(Files.readAllLines(Path.of("/proc/self/smaps")),
                HugePageWeights.MIN_RESIDENT).stream()
                .noneMatch(r -> r.start() < address + buf.capacity() && address < r.end()),
                "the buffer's mapping is no candidate once collapsed");
    }

    /**
     * What the loaders call: off or on a GPU, nothing is scheduled; on, one collapse runs QUIET after the last call.
     * The "nothing" half asks the scheduler rather than the page tables: a model loaded meanwhile by another test's
     * application in this JVM may schedule a collapse of its own, which would take this buffer along.
     */
    @Test
    void collapsesInTheBackgroundAfterTheLastLoadWhenOn() throws Exception {
        awaitNoPendingCollapse();
        ByteBuffer buf = denseBuffer();
        long address = Pointer.nativeValue(Native.getDirectBufferPointer(buf));
        HugePageWeights.collapseLater(settings(false), Device.cpu(), "off");
        HugePageWeights.collapseLater(settings(true), Device.gpu(), "on a GPU");
        assertFalse(HugePageWeights.waitingFor("off"), "off: nothing scheduled");
        assertFalse(HugePageWeights.waitingFor("on a GPU"), "on a GPU: nothing scheduled");
        HugePageWeights.collapseLater(settings(true), Device.cpu(), "a");
        HugePageWeights.collapseLater(settings(true), Device.cpu(), "b");
        assertTrue(HugePageWeights.waitingFor("a") && HugePageWeights.waitingFor("b"), "one collapse for both loads");
        assertTrue(HugePageWeights.pending(), "scheduled, not run inside the load");
        long deadline = System.nanoTime() + HugePageWeights.QUIET.toNanos() + 20_000_000_000L;
        while (anonHugePages(address, buf.capacity()) < 30 * MIB && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(anonHugePages(address, buf.capacity()) >= 30 * MIB, "collapsed in the background");
        assertFalse(HugePageWeights.waitingFor("a"), "the collapse took the waiting loads");
        assertBytes(buf);
    }

    /** A collapse scheduled by an earlier test's model load would take this test's buffer along. */
    private static void awaitNoPendingCollapse() throws InterruptedException {
        long deadline = System.nanoTime() + HugePageWeights.QUIET.toNanos() + 60_000_000_000L;
        while (HugePageWeights.pending() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(HugePageWeights.pending(), "an earlier collapse still pending");
    }

    private static ServerConfig.Engine settings(boolean hugePages) {
        return new HalfPrecisionEncoderTest.EngineDefaults() {
            @Override
            public boolean hugePages() {
                return hugePages;
            }
        };
    }

    /** 32 MiB of native memory, every page written. */
    private static ByteBuffer denseBuffer() {
        ByteBuffer buf = ByteBuffer.allocateDirect((int) (32 * MIB));
        for (int i = 0; i < buf.capacity(); i += 4) {
            buf.putInt(i, i * 31 + 7);
        }
        return buf;
    }

    private static void assertBytes(ByteBuffer buf) {
        for (int i = 0; i < buf.capacity(); i += 4) {
            assertEquals(i * 31 + 7, buf.getInt(i), "byte " + i);
        }
    }

    /**
     * AnonHugePages, in bytes, of the mappings that overlap [address, address + length): madvise splits the buffer's
     * mapping at the 2 MiB boundaries, so its unaligned head and tail become mappings of their own.
     */
    private static long anonHugePages(long address, long length) throws Exception {
        long sum = 0;
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] bounds = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(bounds[0], 16) < address + length
                        && address < Long.parseUnsignedLong(bounds[1], 16);
            } else if (inside && line.startsWith("AnonHugePages:")) {
                sum += Long.parseLong(line.substring(14).replace("kB", "").trim()) * 1024;
            }
        }
        return sum;
    }
}
