package dev.satchel.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hosts made of Linux network namespaces, for the lab and the tests: each host has its own network stack and one
 * address, {@code 10.77.N.i/24}, on a bridge that lives in a namespace of its own, so nothing in
 * the machine's own network changes but one extra link through which this process reaches the
 * hosts ({@code 10.77.N.254}, {@link #gateway()}). A host's link can be cut and healed, for
 * partitions. Needs root and iproute2; {@link #unavailableBecause()} says why not.
 *
 * <p>Names carry the JVM's pid ({@code satlab<pid>-h1}, links {@code sl<pid>...}), so concurrent
 * runs do not meet; a run killed before it closed is swept by the next one, and one that exits
 * otherwise closes its network on the way out. Cut and heal may be called from any thread; the
 * rest is for the thread that made it.
 */
final class NamespaceNetwork implements AutoCloseable {
    private static final String PREFIX = "satlab";
    private static final Pattern OURS = Pattern.compile(PREFIX + "(\\d+)-\\w+");
    /** A rule's counter in {@code nft list}: "counter packets 12 bytes 3456 drop". */
    private static final Pattern DROP_COUNTER = Pattern.compile("counter packets (\\d+) bytes \\d+ drop");

    private final String name;
    /** Links are named apart from namespaces: Linux allows 15 characters. */
    private final String links;

    private final String subnet;
    private final int hosts;
    private final List<Process> processes = new ArrayList<>();
    private final Thread onExit = new Thread(this::close, "namespace-network-close");
    private volatile boolean closed;

    private NamespaceNetwork(long pid, String subnet, int hosts) {
        this.name = PREFIX + pid;
        this.links = "sl" + pid;
        this.subnet = subnet;
        this.hosts = hosts;
    }

    /** Empty if namespaces can be made here, else what stopped a trial one. */
    static Optional<String> unavailableBecause() {
        String probe = PREFIX + ProcessHandle.current().pid() + "-probe";
        try {
            Result add = exec(List.of("ip", "netns", "add", probe));
            if (add.code() != 0) {
                return Optional.of("'ip netns add' failed: " + add.output().strip());
            }
            exec(List.of("ip", "netns", "delete", probe));
            return Optional.empty();
        } catch (UncheckedIOException e) {
            return Optional.of("cannot run 'ip': " + e.getCause().getMessage());
        }
    }

    /** Makes {@code hosts} hosts (1 to 200) on one bridge, every link up. */
    static NamespaceNetwork create(int hosts) {
        if (hosts < 1 || hosts > 200) {
            throw new IllegalArgumentException("hosts must be 1 to 200: " + hosts);
        }
        sweepLeftovers();
        long pid = ProcessHandle.current().pid();
        NamespaceNetwork net = new NamespaceNetwork(pid, freeSubnet(pid), hosts);
        try {
            net.build();
            Runtime.getRuntime().addShutdownHook(net.onExit);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return net;
    }

    /** The address of host {@code host} (1-based), such as {@code 10.77.12.2}. */
    String address(int host) {
        checkHost(host);
        return subnet + "." + host;
    }

    /** Host {@code host} (1-based) as a place to start servers: its address, and {@code ip netns exec}. */
    Host host(int host) {
        return new Host(address(host), List.of("ip", "netns", "exec", namespace(host)));
    }

    /** This process's own address on the bridge, which every host reaches. */
    String gateway() {
        return subnet + ".254";
    }

    /** How many hosts it has. */
    int hosts() {
        return hosts;
    }

    /** The namespace of host {@code host}, for {@code ip netns exec} and {@code ip -n}. */
    String namespace(int host) {
        checkHost(host);
        return name + "-h" + host;
    }

    /**
     * Starts {@code command} inside host {@code host}, output and errors to {@code log}. {@code ip
     * netns exec} replaces itself with the command, so the returned process is the command itself:
     * destroying it forcibly is a SIGKILL of the command. Every process still running is killed on
     * {@link #close()}.
     */
    Process start(int host, List<String> command, Path log) {
        return start(host, command, log, java.util.Map.of());
    }

    /** As {@link #start(int, List, Path)}, with {@code environment} added to the process's (secrets go there). */
    Process start(int host, List<String> command, Path log, java.util.Map<String, String> environment) {
        try {
            ProcessBuilder builder = new ProcessBuilder(host(host).command(command));
            builder.environment().putAll(environment);
            Process p = builder.redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            processes.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command + " in " + namespace(host), e);
        }
    }

    /** Runs {@code command} inside host {@code host} to its end and returns what it printed. */
    String run(int host, String... command) {
        return check(host(host).command(List.of(command)));
    }

    /** Empty when nftables' {@code nft} can be run here, else why not. */
    static Optional<String> packetFilterUnavailableBecause() {
        try {
            Result version = exec(List.of("nft", "--version"));
            return version.code() == 0
                    ? Optional.empty()
                    : Optional.of("'nft --version' failed: " + version.output().strip());
        } catch (UncheckedIOException e) {
            return Optional.of("nft is not on the PATH");
        }
    }

    /**
     * Drops each packet host {@code host} receives from the hosts {@code from} with probability
     * {@code percent}/100, as it enters the host's namespace (nftables' random number per packet):
     * loss without netem, which TCP makes up for by sending again. Packets from the bridge's own
     * address (the balancer, this process) pass.
     */
    void loseFrom(int host, List<Integer> from, double percent) {
        if (from.isEmpty() || percent <= 0) {
            return;
        }
        long perMillion = Math.round(percent * 10_000);
        String sources = String.join(", ", from.stream().map(this::address).toList());
        run(host, "nft", "add table inet satchel_loss");
        run(host, "nft", "add chain inet satchel_loss input { type filter hook input priority 0 ; policy accept ; }");
        run(
                host,
                "nft",
                "add rule inet satchel_loss input ip saddr { " + sources + " } numgen random mod 1000000 < "
                        + perMillion + " counter drop");
    }

    /** The packets {@link #loseFrom} dropped on host {@code host} so far; 0 where it drops none. */
    long droppedPackets(int host) {
        Result listed = exec(host(host).command(List.of("nft", "list table inet satchel_loss")));
        if (listed.code() != 0) {
            return 0; // no such table: this host loses nothing
        }
        Matcher m = DROP_COUNTER.matcher(listed.output());
        long packets = 0;
        while (m.find()) {
            packets += Long.parseLong(m.group(1));
        }
        return packets;
    }

    /** Cuts host {@code host} off the bridge: its packets go nowhere, its connections hang. */
    void cut(int host) {
        check(List.of("ip", "-n", switchNamespace(), "link", "set", "dev", "h" + host, "down"));
    }

    /** Puts host {@code host} back on the bridge. */
    void heal(int host) {
        check(List.of("ip", "-n", switchNamespace(), "link", "set", "dev", "h" + host, "up"));
    }

    /** Kills every process started here, then removes every namespace and link this made. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException exiting) {
            // called by the hook itself
        }
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Deleting a namespace deletes the links in it, and with them their peers outside it.
        for (int i = 1; i <= hosts; i++) {
            exec(List.of("ip", "netns", "delete", name + "-h" + i));
        }
        exec(List.of("ip", "netns", "delete", switchNamespace()));
        exec(List.of(
                "ip", "link", "delete", links + "t")); // gone with its peer already, unless the switch never got it
    }

    private void build() {
        String sw = switchNamespace();
        check(List.of("ip", "netns", "add", sw));
        check(List.of("ip", "-n", sw, "link", "set", "dev", "lo", "up"));
        check(List.of("ip", "-n", sw, "link", "add", "br0", "type", "bridge"));
        check(List.of("ip", "-n", sw, "link", "set", "dev", "br0", "up"));
        for (int i = 1; i <= hosts; i++) {
            String ns = namespace(i);
            String inner = links + "h" + i + "e";
            String outer = links + "h" + i + "s";
            check(List.of("ip", "netns", "add", ns));
            check(List.of("ip", "-n", ns, "link", "set", "dev", "lo", "up"));
            check(List.of("ip", "link", "add", inner, "type", "veth", "peer", "name", outer));
            check(List.of("ip", "link", "set", "dev", inner, "netns", ns));
            check(List.of("ip", "link", "set", "dev", outer, "netns", sw));
            check(List.of("ip", "-n", ns, "link", "set", "dev", inner, "name", "eth0"));
            check(List.of("ip", "-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0"));
            check(List.of("ip", "-n", ns, "link", "set", "dev", "eth0", "up"));
            check(List.of("ip", "-n", sw, "link", "set", "dev", outer, "name", "h" + i));
            check(List.of("ip", "-n", sw, "link", "set", "dev", "h" + i, "master", "br0"));
            check(List.of("ip", "-n", sw, "link", "set", "dev", "h" + i, "up"));
        }
        // The test's own way in: one link from this machine's namespace to the bridge.
        String mine = links + "t";
        String theirs = links + "ts";
        check(List.of("ip", "link", "add", mine, "type", "veth", "peer", "name", theirs));
        check(List.of("ip", "link", "set", "dev", theirs, "netns", sw));
        check(List.of("ip", "-n", sw, "link", "set", "dev", theirs, "name", "t"));
        check(List.of("ip", "-n", sw, "link", "set", "dev", "t", "master", "br0"));
        check(List.of("ip", "-n", sw, "link", "set", "dev", "t", "up"));
        check(List.of("ip", "addr", "add", subnet + ".254/24", "dev", mine));
        check(List.of("ip", "link", "set", "dev", mine, "up"));
    }

    private String switchNamespace() {
        return name + "-sw";
    }

    private void checkHost(int host) {
        if (host < 1 || host > hosts) {
            throw new IllegalArgumentException("no host " + host + "; hosts are 1 to " + hosts);
        }
    }

    /** Namespaces of runs whose JVM is gone: a killed test never reached its close(). */
    private static void sweepLeftovers() {
        for (String line : exec(List.of("ip", "netns", "list")).output().split("\n")) {
            Matcher m = OURS.matcher(line.strip().split(" ")[0]);
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                exec(List.of("ip", "netns", "delete", m.group(0)));
            }
        }
    }

    /** A 10.77.N.0/24 that no address on this machine's own links is in. */
    private static String freeSubnet(long pid) {
        String inUse = exec(List.of("ip", "-o", "-4", "addr", "show")).output();
        for (int k = 0; k < 200; k++) {
            String candidate = "10.77." + (20 + (pid + k) % 200);
            if (!inUse.contains(" " + candidate + ".")) {
                return candidate;
            }
        }
        throw new IllegalStateException("every 10.77.N.0/24 from 20 to 219 is in use on this machine");
    }

    private static String check(List<String> command) {
        Result r = exec(command);
        if (r.code() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + r.code() + "): " + r.output());
        }
        return r.output();
    }

    private static Result exec(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end within 30 s");
            }
            return new Result(p.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    private record Result(int code, String output) {}
}
