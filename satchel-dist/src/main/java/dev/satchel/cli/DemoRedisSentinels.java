package dev.satchel.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * A replicated Redis for the lab's {@code --fault promote-store}: a master, its replica and three
 * Sentinels on one host, which promote the replica when the master stops answering for a second.
 * The nodes follow the Sentinels ({@code redis-sentinel://}) to whichever server is master. The
 * replica copies the master asynchronously, as Redis does, so a write the master acknowledged in
 * the last moment before it died may be lost: the lab's checker counts what was.
 */
final class DemoRedisSentinels implements LabStoreServer {
    static final String MASTER_NAME = "satchel";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROMOTION_TIMEOUT = Duration.ofSeconds(30);

    private final Host host;
    private final List<DemoRedisServer> servers;
    private final List<DemoRedisServer> sentinels;
    private DemoRedisServer killed;

    private DemoRedisSentinels(Host host, List<DemoRedisServer> servers, List<DemoRedisServer> sentinels) {
        this.host = host;
        this.servers = List.copyOf(servers);
        this.sentinels = List.copyOf(sentinels);
    }

    /**
     * Starts the two servers and three Sentinels on {@code host}, and returns once the replica has
     * synced and every Sentinel knows the other servers and Sentinels, so a failover can happen.
     *
     * @throws IllegalStateException when redis-server is missing, or the group does not form in 30 s
     */
    static DemoRedisSentinels start(Path logDir, String maxMemory, RedisPersistence persistence, Host host)
            throws IOException, InterruptedException {
        List<DemoRedisServer> started = new ArrayList<>();
        try {
            DemoRedisServer master = DemoRedisServer.start(logDir, maxMemory, persistence, host);
            started.add(master);
            DemoRedisServer replica =
                    DemoRedisServer.startReplica(logDir, maxMemory, persistence, host, host.address(), master.port());
            started.add(replica);
            List<DemoRedisServer> sentinels = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                DemoRedisServer sentinel =
                        DemoRedisServer.startSentinel(logDir, host, MASTER_NAME, host.address(), master.port());
                started.add(sentinel);
                sentinels.add(sentinel);
            }
            DemoRedisSentinels group = new DemoRedisSentinels(host, List.of(master, replica), sentinels);
            await(READY_TIMEOUT, group::ready, "the replica to sync and the Sentinels to find each other");
            return group;
        } catch (IOException | InterruptedException | RuntimeException e) {
            started.forEach(DemoRedisServer::close);
            throw e;
        }
    }

    /** A replica still in its first sync holds nothing: promoting it would lose every session. */
    private boolean ready() {
        boolean synced = servers.get(0).info("replication").stream().anyMatch(l -> l.contains("state=online"));
        return synced
                && sentinels.stream().allMatch(s -> {
                    String info = String.join("\n", s.info("sentinel"));
                    return info.contains("slaves=1") && info.contains("sentinels=3");
                });
    }

    @Override
    public String name() {
        return "the Redis master";
    }

    @Override
    public String uri() {
        return sentinels.stream()
                .map(s -> host.address() + ":" + s.port())
                .collect(Collectors.joining(",", "redis-sentinel://", "#" + MASTER_NAME));
    }

    /** The port of the server the Sentinels call master now, as the first that answers says. */
    OptionalInt masterPort() {
        for (DemoRedisServer s : sentinels) {
            List<String> address = s.ask("SENTINEL", "get-master-addr-by-name", MASTER_NAME);
            if (address.size() == 2) {
                try {
                    return OptionalInt.of(Integer.parseInt(address.get(1)));
                } catch (NumberFormatException ignored) {
                    // the next Sentinel may answer sensibly
                }
            }
        }
        return OptionalInt.empty();
    }

    private Optional<DemoRedisServer> master() {
        OptionalInt port = masterPort();
        return servers.stream()
                .filter(s -> port.isPresent() && s.port() == port.getAsInt())
                .findFirst();
    }

    /** Kills the master (SIGKILL) and returns once the Sentinels have promoted the replica. */
    @Override
    public synchronized void kill() throws InterruptedException {
        DemoRedisServer master = master().orElseThrow(() -> new IllegalStateException("no Sentinel names a master"));
        master.kill();
        killed = master;
        await(
                PROMOTION_TIMEOUT,
                () -> masterPort().stream().anyMatch(port -> port != master.port()),
                "the Sentinels to promote the replica");
    }

    /** Starts the killed server again; the Sentinels make it a replica of the new master. */
    @Override
    public synchronized void restart() throws IOException, InterruptedException {
        if (killed == null) {
            throw new IllegalStateException("no server of this group was killed");
        }
        killed.restart();
        killed = null;
    }

    @Override
    public Map<String, Long> pids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (int i = 0; i < servers.size(); i++) {
            int n = i + 1;
            servers.get(i).pid().ifPresent(p -> pids.put("redis-server " + n, p));
        }
        for (int i = 0; i < sentinels.size(); i++) {
            int n = i + 1;
            sentinels.get(i).pid().ifPresent(p -> pids.put("sentinel " + n, p));
        }
        return pids;
    }

    @Override
    public Set<Integer> dataPorts() {
        return servers.stream().map(DemoRedisServer::port).collect(Collectors.toSet());
    }

    @Override
    public OptionalLong commandsProcessed() {
        return master().map(DemoRedisServer::commandsProcessed).orElse(OptionalLong.empty());
    }

    @Override
    public Optional<long[]> memoryAndKeys() {
        return master().flatMap(DemoRedisServer::memoryAndKeys);
    }

    @Override
    public void close() {
        sentinels.forEach(DemoRedisServer::close);
        servers.forEach(DemoRedisServer::close);
    }

    private static void await(Duration timeout, BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("waited " + timeout.toSeconds() + " s for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }
}
