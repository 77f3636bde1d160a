package dev.satchel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A master, two replicas and three sentinels (quorum 2), each its own redis-server process on a free
 * loopback port. Two replicas, so that after a failover the new master still has one to
 * acknowledge {@code WAIT 1}.
 */
public final class RedisSentinelGroup implements AutoCloseable {
    /** The name the sentinels know the master by, as in the Sentinel URI. */
    public static final String MASTER_NAME = "satchel";

    private static final int REPLICAS = 2;

    private final LocalRedisServer master;
    private final List<LocalRedisServer> replicas;
    private final List<LocalRedisServer> sentinels;
    private final Optional<String> password;
    private final Optional<String> sentinelPassword;

    private RedisSentinelGroup(
            LocalRedisServer master,
            List<LocalRedisServer> replicas,
            List<LocalRedisServer> sentinels,
            Optional<String> password,
            Optional<String> sentinelPassword) {
        this.master = master;
        this.replicas = replicas;
        this.sentinels = sentinels;
        this.password = password;
        this.sentinelPassword = sentinelPassword;
    }

    /**
     * Starts the group and waits until the replicas are in sync and every sentinel knows the others.
     *
     * @param workDir where the servers' logs and the sentinels' configuration go
     */
    public static RedisSentinelGroup start(Path workDir) throws IOException, InterruptedException {
        return start(workDir, Optional.empty(), Optional.empty());
    }

    /**
     * Starts the group with passwords: {@code serverPassword} is each server's {@code requirepass}
     * and {@code masterauth}, and what the sentinels give the servers ({@code auth-pass});
     * {@code sentinelPassword} is each sentinel's own {@code requirepass}, and what they give each
     * other ({@code sentinel-pass}).
     */
    public static RedisSentinelGroup startWithPasswords(Path workDir, String serverPassword, String sentinelPassword)
            throws IOException, InterruptedException {
        return start(workDir, Optional.of(serverPassword), Optional.of(sentinelPassword));
    }

    private static RedisSentinelGroup start(Path workDir, Optional<String> password, Optional<String> sentinelPassword)
            throws IOException, InterruptedException {
        List<LocalRedisServer> started = new ArrayList<>();
        try {
            int masterPort = LocalRedisServer.freePort();
            LocalRedisServer master =
                    LocalRedisServer.launch(workDir, masterPort, server(workDir, masterPort, password));
            started.add(master);
            List<LocalRedisServer> replicas = new ArrayList<>();
            for (int i = 0; i < REPLICAS; i++) {
                int replicaPort = LocalRedisServer.freePort();
                List<String> replicaCommand = new ArrayList<>(server(workDir, replicaPort, password));
                replicaCommand.addAll(List.of("--replicaof", "127.0.0.1", Integer.toString(masterPort)));
                LocalRedisServer replica = LocalRedisServer.launch(workDir, replicaPort, replicaCommand);
                started.add(replica);
                replicas.add(replica);
            }
            List<LocalRedisServer> sentinels = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int port = LocalRedisServer.freePort();
                Path conf = workDir.resolve("sentinel-" + port + ".conf");
                Files.writeString(
                        conf,
                        String.join(
                                "\n",
                                "port " + port,
                                "bind 127.0.0.1",
                                "dir " + workDir,
                                "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + masterPort + " 2",
                                "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
                                "sentinel failover-timeout " + MASTER_NAME + " 5000",
                                "sentinel parallel-syncs " + MASTER_NAME + " 1",
                                password.map(p -> "sentinel auth-pass " + MASTER_NAME + " " + p)
                                        .orElse(""),
                                sentinelPassword
                                        .map(p -> "requirepass " + p + "\nsentinel sentinel-pass " + p)
                                        .orElse(""),
                                ""));
                LocalRedisServer sentinel =
                        LocalRedisServer.launch(workDir, port, List.of("redis-server", conf.toString(), "--sentinel"));
                started.add(sentinel);
                sentinels.add(sentinel);
            }
            RedisSentinelGroup group = new RedisSentinelGroup(master, replicas, sentinels, password, sentinelPassword);
            group.awaitReady();
            return group;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            started.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    private static List<String> server(Path workDir, int port, Optional<String> password) {
        // Start a replica's first sync at once, not after the default 5 s.
        List<String> command =
                new ArrayList<>(LocalRedisServer.command(workDir, port, "--repl-diskless-sync-delay", "0"));
        password.ifPresent(p -> command.addAll(List.of("--requirepass", p, "--masterauth", p)));
        return command;
    }

    /** The Sentinel URI Lettuce follows to whichever server is master. */
    public String uri() {
        StringBuilder uri = new StringBuilder("redis-sentinel://");
        password.ifPresent(p -> uri.append(p).append('@'));
        for (int i = 0; i < sentinels.size(); i++) {
            uri.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(sentinels.get(i).port());
        }
        return uri.append("#").append(MASTER_NAME).toString();
    }

    /** Waits until every sentinel knows the replicas and the other sentinels, so failover can happen. */
    private void awaitReady() {
        Await.until(
                Duration.ofSeconds(30),
                () -> replicaInSync() && sentinels.stream().allMatch(this::knowsEveryone),
                "the replicas to sync and the sentinels to discover each other");
    }

    /** A replica still in its first sync holds nothing: promoting it would lose every session. */
    private boolean replicaInSync() {
        try {
            String info = RedisProbe.text(master.port(), password, "INFO", "replication");
            return info.split("state=online", -1).length - 1 == REPLICAS;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean knowsEveryone(LocalRedisServer sentinel) {
        try {
            String info = RedisProbe.text(sentinel.port(), sentinelPassword, "INFO", "sentinel");
            return info.contains("slaves=" + REPLICAS) && info.contains("sentinels=3");
        } catch (IOException e) {
            return false;
        }
    }

    /** The server started as master; after a failover it may no longer be one. */
    public LocalRedisServer master() {
        return master;
    }

    /** The port of the server the sentinels now call master. */
    public int currentMasterPort() {
        try {
            List<?> address = (List<?>) RedisProbe.call(
                    sentinels.get(0).port(), sentinelPassword, "SENTINEL", "get-master-addr-by-name", MASTER_NAME);
            return Integer.parseInt((String) address.get(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        sentinels.forEach(LocalRedisServer::close);
        replicas.forEach(LocalRedisServer::close);
        master.close();
    }
}
