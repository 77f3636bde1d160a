package dev.satchel.bench.balancer;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop HTTP/1.1 load generator: requests leave on a fixed schedule whatever the server
 * does, and each latency is measured from the moment the request was due, not the moment it could
 * be sent. A server that stalls is charged for every request the stall delayed (no coordinated
 * omission), which closed-loop tools like wrk hide.
 *
 * <p>Usage: {@code java -cp satchel-bench/target/benchmarks.jar dev.satchel.bench.balancer.OpenLoop URL
 * RATE_PER_S SECONDS CONNECTIONS [HEADER: VALUE]...}. Prints one line: rate, p50, p90, p99, p99.9
 * and max in microseconds, and errors.
 */
public final class OpenLoop {
    private OpenLoop() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: OpenLoop URL RATE_PER_S SECONDS CONNECTIONS [HEADER: VALUE]...");
            System.exit(2);
        }
        URI url = URI.create(args[0]);
        double rate = Double.parseDouble(args[1]);
        int seconds = Integer.parseInt(args[2]);
        int connections = Integer.parseInt(args[3]);
        StringBuilder request = new StringBuilder("GET ")
                .append(url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                .append(" HTTP/1.1\r\nHost: ")
                .append(url.getHost())
                .append("\r\n");
        for (int i = 4; i < args.length; i++) {
            request.append(args[i]).append("\r\n");
        }
        byte[] bytes = request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);

        Recorder recorder = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
        long[] errors = new long[connections];
        long[] sent = new long[connections];
        long intervalNanos = (long) (1e9 * connections / rate);
        // Two seconds at the target rate, not recorded, warm up both ends before measuring.
        long warmup = TimeUnit.SECONDS.toNanos(2);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        long measureFrom = start + warmup;
        long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int id = c;
            long offset = intervalNanos * c / connections; // spread the connections' schedules
            Thread t = new Thread(
                    () -> run(url, bytes, start + offset, intervalNanos, measureFrom, end, recorder, errors, sent, id));
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        Histogram h = recorder.getIntervalHistogram();
        long total = 0;
        long failed = 0;
        for (int c = 0; c < connections; c++) {
            total += sent[c];
            failed += errors[c];
        }
        System.out.printf(
                Locale.ROOT,
                "rate=%.0f/s p50=%d p90=%d p99=%d p999=%d max=%d us errors=%d%n",
                total / (double) seconds,
                h.getValueAtPercentile(50) / 1000,
                h.getValueAtPercentile(90) / 1000,
                h.getValueAtPercentile(99) / 1000,
                h.getValueAtPercentile(99.9) / 1000,
                h.getMaxValue() / 1000,
                failed);
    }

    private static void run(
            URI url,
            byte[] request,
            long first,
            long interval,
            long measureFrom,
            long end,
            Recorder recorder,
            long[] errors,
            long[] sent,
            int id) {
        Socket socket = null;
        InputStream in = null;
        OutputStream out = null;
        for (long due = first; due < end; due += interval) {
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            try {
                if (socket == null) {
                    socket = new Socket(url.getHost(), url.getPort());
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(10_000);
                    in = new BufferedInputStream(socket.getInputStream(), 16384);
                    out = socket.getOutputStream();
                }
                out.write(request);
                out.flush();
                int status = readResponse(in);
                if (due >= measureFrom) {
                    recorder.recordValue(Math.min(System.nanoTime() - due, TimeUnit.SECONDS.toNanos(59)));
                    sent[id]++;
                    if (status >= 400) {
                        errors[id]++;
                        reportOnce("HTTP " + status);
                    }
                }
            } catch (IOException e) {
                reportOnce(e.toString());
                if (due >= measureFrom) {
                    errors[id]++;
                    sent[id]++;
                    recorder.recordValue(Math.min(System.nanoTime() - due, TimeUnit.SECONDS.toNanos(59)));
                }
                try {
                    if (socket != null) {
                        socket.close();
                    }
                } catch (IOException ignored) {
                    // replaced below
                }
                socket = null;
            }
        }
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // done
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean REPORTED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** Says what the first failure was, once: a count of errors alone explains nothing. */
    private static void reportOnce(String what) {
        if (REPORTED.compareAndSet(false, true)) {
            System.err.println("first error: " + what);
        }
    }

    /** Reads one response with a Content-Length or chunked body; returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        String status = line(in);
        if (status == null || status.length() < 12) {
            throw new IOException("connection closed");
        }
        long length = -1;
        boolean chunked = false;
        for (String h; !(h = line(in)).isEmpty(); ) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(h.substring(15).strip());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            }
        }
        if (chunked) {
            for (long size; (size = Long.parseLong(line(in).strip(), 16)) > 0; ) {
                skip(in, size);
                line(in);
            }
            line(in);
        } else if (length > 0) {
            skip(in, length);
        }
        return Integer.parseInt(status.substring(9, 12));
    }

    private static void skip(InputStream in, long n) throws IOException {
        while (n > 0) {
            long k = in.skip(n);
            if (k <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed mid-body");
                }
                k = 1;
            }
            n -= k;
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c; (c = in.read()) >= 0; ) {
            if (c == '\n') {
                int len = s.length();
                return len > 0 && s.charAt(len - 1) == '\r' ? s.substring(0, len - 1) : s.toString();
            }
            s.append((char) c);
        }
        if (s.length() == 0) {
            return null;
        }
        throw new IOException("connection closed mid-line");
    }
}
