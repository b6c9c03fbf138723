package io.slmserve.bench;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A closed-loop load generator kept deliberately cheap, because on a 2-core box every client cycle is taken from
 * the server: N platform threads, each with its own keep-alive HTTP/1.1 socket, each sending one pre-serialised
 * request at a time and reading the response (status, headers, Content-Length or chunked body; the body is skipped).
 * Requests rotate through the input set, each worker starting at a different offset. After a warm-up the
 * completions inside a fixed window are counted; latencies of those completions give p50/p90/p99.
 */
final class HttpLoad {

    record Result(int concurrency, long ok, long errors, double seconds, double requestsPerSecond,
                  double p50Ms, double p90Ms, double p99Ms, double clientCores, double serverCores,
                  double machineCores) {
    }

    private final String host;
    private final int port;
    private final List<byte[]> requests;

    private static final double MAX_EXTRA_WARMUP_S = 60;

    private volatile boolean measuring;
    private volatile boolean stopping;

    HttpLoad(String host, int port, String path, List<String> jsonBodies) {
        this.host = host;
        this.port = port;
        this.requests = new ArrayList<>();
        for (String body : jsonBodies) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                    + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: "
                    + b.length + "\r\n\r\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            byte[] all = Arrays.copyOf(h, h.length + b.length);
            System.arraycopy(b, 0, all, h.length, b.length);
            requests.add(all);
        }
    }

    Result run(int concurrency, double warmupSeconds, double windowSeconds, long serverPid) throws InterruptedException {
        measuring = false;
        stopping = false;
        Worker[] workers = new Worker[concurrency];
        for (int i = 0; i < concurrency; i++) {
            workers[i] = new Worker((int) ((long) i * requests.size() / concurrency));
            workers[i].setDaemon(true);
            workers[i].setName("load-" + i);
            workers[i].start();
        }
        // Warm-up: the given time, and at least until every worker has had one answer, so that the window opens in
        // the steady state of the closed loop rather than in the first wave (matters when latency exceeds warm-up).
        Thread.sleep((long) (warmupSeconds * 1000));
        long warmCap = System.nanoTime() + (long) (MAX_EXTRA_WARMUP_S * 1e9);
        while (!allAnswered(workers) && System.nanoTime() < warmCap) {
            Thread.sleep(20);
        }
        CpuMeter cpu = new CpuMeter(serverPid);
        cpu.start();
        long t0 = System.nanoTime();
        measuring = true;
        Thread.sleep((long) (windowSeconds * 1000));
        // Window: the given time, stretched (up to 3x) until it holds at least two answers per worker, so that a
        // slow row is not measured on a handful of completions.
        long windowCap = t0 + (long) (3 * windowSeconds * 1e9);
        while (answeredInWindow(workers) < 2L * concurrency && System.nanoTime() < windowCap) {
            Thread.sleep(20);
        }
        measuring = false;
        long t1 = System.nanoTime();
        cpu.stop();
        stopping = true;
        for (Worker w : workers) {
            w.join(30_000);
            w.closeQuietly();
        }
        long ok = 0;
        long errors = 0;
        int n = 0;
        for (Worker w : workers) {
            ok += w.ok;
            errors += w.errors;
            n += w.latencyCount;
        }
        long[] all = new long[n];
        int k = 0;
        for (Worker w : workers) {
            System.arraycopy(w.latencies, 0, all, k, w.latencyCount);
            k += w.latencyCount;
        }
        Arrays.sort(all);
        double seconds = (t1 - t0) / 1e9;
        return new Result(concurrency, ok, errors, seconds, ok / seconds, pct(all, 0.50), pct(all, 0.90),
                pct(all, 0.99), cpu.selfCores, cpu.otherCores, cpu.machineCores);
    }

    private static boolean allAnswered(Worker[] workers) {
        for (Worker w : workers) {
            if (w.answered == 0) {
                return false;
            }
        }
        return true;
    }

    private static long answeredInWindow(Worker[] workers) {
        long n = 0;
        for (Worker w : workers) {
            n += w.ok + w.errors;
        }
        return n;
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }

    private final class Worker extends Thread {
        private int next;
        private Socket socket;
        private OutputStream out;
        private InputStream in;
        private final byte[] skip = new byte[64 * 1024];
        private final StringBuilder line = new StringBuilder();
        volatile long ok;
        volatile long errors;
        volatile long answered;
        long[] latencies = new long[4096];
        int latencyCount;

        Worker(int start) {
            this.next = start;
        }

        @Override
        public void run() {
            while (!stopping) {
                byte[] request = requests.get(next);
                next = (next + 1) % requests.size();
                long t0 = System.nanoTime();
                int status;
                try {
                    if (socket == null) {
                        connect();
                    }
                    out.write(request);
                    out.flush();
                    status = readResponse();
                } catch (IOException | RuntimeException e) {
                    closeQuietly();
                    status = -1;
                }
                long elapsed = System.nanoTime() - t0;
                answered++;
                if (measuring) {
                    if (status >= 200 && status < 300) {
                        ok++;
                        if (latencyCount == latencies.length) {
                            latencies = Arrays.copyOf(latencies, latencies.length * 2);
                        }
                        latencies[latencyCount++] = elapsed;
                    } else {
                        errors++;
                    }
                }
                if (status < 200 || status >= 300) {
                    pause(status == -1 ? 100 : 5); // refused, reset or 429/503: do not spin
                }
            }
        }

        private void connect() throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(60_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        }

        /** Reads one response, skipping its body; returns the status. Closes the socket on Connection: close. */
        private int readResponse() throws IOException {
            String statusLine = readLine();
            int status = Integer.parseInt(statusLine.substring(9, 12));
            long contentLength = -1;
            boolean chunked = false;
            boolean close = false;
            for (String h = readLine(); !h.isEmpty(); h = readLine()) {
                int colon = h.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> contentLength = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.contains("chunked");
                    case "connection" -> close = value.contains("close");
                    default -> { }
                }
            }
            if (chunked) {
                while (true) {
                    String size = readLine();
                    int semi = size.indexOf(';');
                    long n = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).trim(), 16);
                    if (n == 0) {
                        while (!readLine().isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    skipFully(n);
                    readLine();
                }
            } else if (contentLength > 0) {
                skipFully(contentLength);
            } else if (contentLength < 0) {
                close = true; // body runs to end of stream: read it and reconnect
                while (in.read(skip) >= 0) {
                    // drain
                }
            }
            if (close) {
                closeQuietly();
            }
            return status;
        }

        private void skipFully(long n) throws IOException {
            while (n > 0) {
                int r = in.read(skip, 0, (int) Math.min(skip.length, n));
                if (r < 0) {
                    throw new EOFException();
                }
                n -= r;
            }
        }

        private String readLine() throws IOException {
            line.setLength(0);
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    int len = line.length();
                    if (len > 0 && line.charAt(len - 1) == '\r') {
                        line.setLength(len - 1);
                    }
                    return line.toString();
                }
                line.append((char) c);
            }
            throw new EOFException();
        }

        void closeQuietly() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            socket = null;
        }

        private void pause(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
