package dev.satchel.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The byte counters of every established TCP connection in this network namespace and in the ones
 * named, as the kernel keeps them ({@code tcp_info}'s bytes_sent and bytes_received), read with
 * iproute2's {@code ss} (through {@code ip netns exec} for another namespace). On loopback both
 * ends of a connection are seen; each is listed once per end.
 */
final class SocketTraffic {
    private static final String[] COMMAND = {"ss", "-tinHO", "state", "established"};

    /**
     * One end of a connection.
     *
     * @param key its four-tuple as {@code ss} prints it, unique while it is open
     * @param localPort this end's port
     * @param peerPort the other end's port
     * @param sent payload bytes sent from this end
     * @param received payload bytes received at this end
     * @param segmentsOut TCP segments with data sent from this end ({@code data_segs_out}): on
     *     loopback's large segments, about one per write, so one per request or pipelined batch
     */
    record End(String key, int localPort, int peerPort, long sent, long received, long segmentsOut) {}

    private SocketTraffic() {}

    /**
     * Every connection's end now, here and in each of {@code namespaces}; empty when {@code ss} is
     * not there or failed in any of them.
     */
    static Optional<List<End>> sample(List<String> namespaces) {
        Optional<List<End>> here = run(List.of(COMMAND));
        if (here.isEmpty()) {
            return here;
        }
        List<End> all = new ArrayList<>(here.get());
        for (String ns : namespaces) {
            List<String> inside = new ArrayList<>(List.of("ip", "netns", "exec", ns));
            inside.addAll(List.of(COMMAND));
            Optional<List<End>> there = run(inside);
            if (there.isEmpty()) {
                return there;
            }
            // A four-tuple is unique within its namespace only (each has its own loopback).
            there.get()
                    .forEach(e -> all.add(new End(
                            ns + " " + e.key(), e.localPort(), e.peerPort(), e.sent(), e.received(), e.segmentsOut())));
        }
        return Optional.of(all);
    }

    private static Optional<List<End>> run(List<String> command) {
        try {
            Process ss = new ProcessBuilder(command)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            byte[] out = ss.getInputStream().readAllBytes();
            if (!ss.waitFor(5, TimeUnit.SECONDS) || ss.exitValue() != 0) {
                ss.destroyForcibly();
                return Optional.empty();
            }
            return Optional.of(parse(new String(out, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Parses {@code ss -tinHO state established}: one connection end per line. */
    static List<End> parse(String output) {
        List<End> ends = new ArrayList<>();
        for (String line : output.split("\n")) {
            String[] tokens = line.trim().split("\\s+");
            List<String> addresses = new ArrayList<>(2);
            long sent = 0;
            long received = 0;
            long segments = 0;
            for (String t : tokens) {
                if (addresses.size() < 2 && port(t) >= 0) {
                    addresses.add(t);
                } else if (t.startsWith("bytes_sent:")) {
                    sent = number(t.substring("bytes_sent:".length()));
                } else if (t.startsWith("bytes_received:")) {
                    received = number(t.substring("bytes_received:".length()));
                } else if (t.startsWith("data_segs_out:")) {
                    segments = number(t.substring("data_segs_out:".length()));
                }
            }
            if (addresses.size() == 2) {
                ends.add(new End(
                        addresses.get(0) + " " + addresses.get(1),
                        port(addresses.get(0)),
                        port(addresses.get(1)),
                        sent,
                        received,
                        segments));
            }
        }
        return ends;
    }

    /**
     * The port of {@code 127.0.0.1:80}, {@code [::1]:80} or {@code *:80}; -1 for anything else.
     * Only the first two such tokens of a line are taken: the addresses come before {@code rto:204}.
     */
    private static int port(String token) {
        int colon = token.lastIndexOf(':');
        if (colon <= 0 || colon == token.length() - 1) {
            return -1;
        }
        String digits = token.substring(colon + 1);
        if (digits.length() > 5 || !digits.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        int port = Integer.parseInt(digits);
        return port <= 65535 ? port : -1;
    }

    private static long number(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
