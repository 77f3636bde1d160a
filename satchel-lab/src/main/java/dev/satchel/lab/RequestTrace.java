package dev.satchel.lab;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * Every request the shoppers made, one tab-separated line each, for reading the history behind an
 * anomaly ({@code satchel lab --trace}): the strategy, the shopper, the step of its visit, when the
 * answer came, how late it was against its due time, the cart change it asked for, the status or
 * failure, the node that answered, and the body (the cart). Off by default: a run writes one line
 * per request. Thread-safe: the shoppers answer on many threads.
 */
public final class RequestTrace implements AutoCloseable {
    private static final RequestTrace NONE = new RequestTrace(Optional.empty());
    /** A body longer than this is cut: a cart is small, the catalog is not worth keeping whole. */
    private static final int MAX_BODY = 300;

    private final Optional<BufferedWriter> out;

    private RequestTrace(Optional<BufferedWriter> out) {
        this.out = out;
    }

    /** Records nothing. */
    public static RequestTrace none() {
        return NONE;
    }

    /** Writes to {@code file}, replacing it, with a header line first. */
    public static RequestTrace to(Path file) throws IOException {
        BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        w.write("strategy\tshopper\tstep\tanswered_at\tlatency_ms\tchange\toutcome\tnode\tbody\n");
        return new RequestTrace(Optional.of(w));
    }

    /** One request's line; {@code outcome} is the status or the failure. */
    synchronized void record(
            String strategy,
            String shopper,
            int step,
            long latencyNanos,
            Optional<CartChange> change,
            String outcome,
            String node,
            String body) {
        if (out.isEmpty()) {
            return;
        }
        String shown = body.length() <= MAX_BODY ? body : body.substring(0, MAX_BODY) + "...";
        try {
            out.get()
                    .write(String.join(
                                    "\t",
                                    strategy,
                                    shopper,
                                    Integer.toString(step),
                                    Instant.now().toString(),
                                    Long.toString(latencyNanos / 1_000_000),
                                    change.map(CartChange::toString).orElse("-"),
                                    clean(outcome),
                                    node,
                                    clean(shown))
                            + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the request trace", e);
        }
    }

    /** Tabs and line breaks would break the columns. */
    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    @Override
    public synchronized void close() throws IOException {
        if (out.isPresent()) {
            out.get().close();
        }
    }
}
