package dev.satchel.store.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A master, two replicas and three sentinels (quorum 2), each its own redis-server process on a free
 * loopback port. Two replicas, so that after a failover the new master still has one to
 * acknowledge {@code WAIT 1}.
 */
final class RedisSentinelGroup implements AutoCloseable {
    static final String MASTER_NAME = "satchel";

    final LocalRedisServer master;
    static final int REPLICAS = 2;

    final List<LocalRedisServer> replicas;
    final List<LocalRedisServer> sentinels;

    private RedisSentinelGroup(
            LocalRedisServer master, List<LocalRedisServer> replicas, List<LocalRedisServer> sentinels) {
        this.master = master;
        this.replicas = replicas;
        this.sentinels = sentinels;
    }

    static RedisSentinelGroup start(Path workDir) throws IOException, InterruptedException {
        List<LocalRedisServer> started = new ArrayList<>();
        try {
            int masterPort = LocalRedisServer.freePort();
            LocalRedisServer master = LocalRedisServer.launch(workDir, masterPort, server(workDir, masterPort));
            started.add(master);
            List<LocalRedisServer> replicas = new ArrayList<>();
            for (int i = 0; i < REPLICAS; i++) {
                int replicaPort = LocalRedisServer.freePort();
                List<String> replicaCommand = new ArrayList<>(server(workDir, replicaPort));
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
                                ""));
                LocalRedisServer sentinel =
                        LocalRedisServer.launch(workDir, port, List.of("redis-server", conf.toString(), "--sentinel"));
                started.add(sentinel);
                sentinels.add(sentinel);
            }
            RedisSentinelGroup group = new RedisSentinelGroup(master, replicas, sentinels);
            group.awaitReady();
            return group;
        } catch (IOException | InterruptedException | RuntimeException e) {
            started.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    private static List<String> server(Path workDir, int port) {
        // Start a replica's first sync at once, not after the default 5 s.
        return LocalRedisServer.command(workDir, port, "--repl-diskless-sync-delay", "0");
    }

    /** The Sentinel URI Lettuce follows to whichever server is master. */
    String uri() {
        StringBuilder uri = new StringBuilder("redis-sentinel://");
        for (int i = 0; i < sentinels.size(); i++) {
            uri.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(sentinels.get(i).port());
        }
        return uri.append("#").append(MASTER_NAME).toString();
    }

    /** Waits until every sentinel knows the replica and the other sentinels, so failover can happen. */
    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (replicaInSync() && sentinels.stream().allMatch(this::knowsEveryone)) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        throw new IllegalStateException("the sentinels did not discover each other within 30 s");
    }

    /** A replica still in its first sync holds nothing: promoting it would lose every session. */
    private boolean replicaInSync() {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + master.port());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return c.sync().info("replication").split("state=online", -1).length - 1 == REPLICAS;
        } catch (RuntimeException e) {
            return false;
        } finally {
            client.shutdown();
        }
    }

    private boolean knowsEveryone(LocalRedisServer sentinel) {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + sentinel.port());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            String info = c.sync().info("sentinel");
            return info.contains("slaves=" + REPLICAS) && info.contains("sentinels=3");
        } catch (RuntimeException e) {
            return false;
        } finally {
            client.shutdown();
        }
    }

    /** The port of the server the sentinels now call master. */
    int currentMasterPort() {
        RedisClient client =
                RedisClient.create("redis://127.0.0.1:" + sentinels.get(0).port());
        try (StatefulRedisSentinelConnection<String, String> c = client.connectSentinel()) {
            return ((InetSocketAddress) c.sync().getMasterAddrByName(MASTER_NAME)).getPort();
        } finally {
            client.shutdown();
        }
    }

    @Override
    public void close() {
        sentinels.forEach(LocalRedisServer::close);
        replicas.forEach(LocalRedisServer::close);
        master.close();
    }
}
