package dev.satchel.cli;

import dev.satchel.cluster.ClusterStoreBuilder;
import dev.satchel.cluster.ClusterTls;
import dev.satchel.cluster.PrimaryBackupSessionStore;
import dev.satchel.cluster.ReplicatedSessionStore;
import dev.satchel.cluster.Replication;
import dev.satchel.cookie.RevocationList;
import dev.satchel.cookie.SealedAttributes;
import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.ClusterView;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.demo.PrivateDataDir;
import dev.satchel.servlet.CookieSessionIdResolver;
import dev.satchel.store.file.FileSessionStore;
import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.store.mongodb.MongoSessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Turns a {@code --store} value into a running store, or refuses it with a reason. */
final class StoreOption {
    static final String DESCRIPTION = "Where sessions live: memory (each node its own); file:DIR (each node its"
            + " own, kept in DIR/<node name> across restarts; ?sync=never trades the last seconds before a"
            + " machine crash for speed); replicated (every"
            + " node holds every session; replicated-async does not wait for the others); primary-backup (an"
            + " owner and a backup per session, ranked like the session-hash policy; primary-backup-async"
            + " does not wait for the backup); cookie (sealed in"
            + " the client's cookie, key from " + SealedCookieSessions.KEYSET_VARIABLE + "); shared:"
            + " redis://HOST:PORT, redis-sentinel://HOST:PORT,HOST:PORT#MASTER (sentinels' own password from"
            + " $SATCHEL_REDIS_SENTINEL_PASSWORD), redis-cluster://HOST:PORT,HOST:PORT"
            + " (rediss-cluster:// over TLS),"
            + " rediss://USER:PASSWORD@HOST:PORT?ca=FILE&cert=FILE&key=FILE (TLS; ca, cert and key optional),"
            + " a JDBC URL such as jdbc:postgresql://HOST/DB?user=U (TLS: &sslmode=verify-full&sslrootcert=FILE),"
            + " or mongodb://USER:PASSWORD@HOST:PORT/DB (or mongodb+srv://; TLS: ?tls=true, a private CA: &tlsCAFile=FILE);"
            + " or, for satchel demo only, redis (starts a local redis-server).";

    private StoreOption() {}

    /** Whether the store is one of the clustering strategies, which join their peers when opened. */
    static boolean isClustered(String value) {
        return List.of("replicated", "replicated-async", "primary-backup", "primary-backup-async")
                .contains(value.strip().toLowerCase(Locale.ROOT));
    }

    /** Whether {@code value} asks for sessions sealed in cookies rather than a store. */
    static boolean isCookie(String value) {
        return value.strip().equalsIgnoreCase("cookie");
    }

    /**
     * Sealed-cookie sessions: the keyset from {@value SealedCookieSessions#KEYSET_VARIABLE} (the
     * demo sets it for its nodes, so they share it), and the revocation record in an H2 file in
     * {@code dataDir}, which every node of one machine shares.
     */
    static Sealed openSealer(Path dataDir, CommandLine commandLine) {
        JdbcSessionStore revocationStore = openShared(PrivateDataDir.open(dataDir), "revocations");
        try {
            SealedCookieSessions sealer = SealedCookieSessions.builder(CookieSessionIdResolver.DEFAULT_NAME)
                    .keysetFromEnvironment()
                    .revocations(new RevocationList(revocationStore, Clock.systemUTC(), Duration.ofHours(8)))
                    .build();
            return new Sealed(sealer, revocationStore);
        } catch (IllegalStateException | IllegalArgumentException e) {
            revocationStore.close();
            throw new CommandLine.ParameterException(commandLine, e.getMessage());
        }
    }

    /**
     * The H2 file the nodes of one machine share, behind the data directory's password. Nodes that
     * start together race to open it (H2: "lock file recently modified"), so opening is retried for
     * a few seconds, as for the users.
     */
    private static JdbcSessionStore openShared(PrivateDataDir dataDir, String name) {
        // WRITE_DELAY=0: H2 otherwise writes a commit to its file up to a second later; the lab
        // killed the node serving the file and logouts acknowledged just before were gone, so
        // the old sealed cookies opened their carts again.
        // No trace file: H2 would create it, with the process's umask, after the files were made 0600.
        String url =
                "jdbc:h2:file:" + dataDir.path().resolve(name) + ";AUTO_SERVER=TRUE;TRACE_LEVEL_FILE=0;WRITE_DELAY=0";
        String password = dataDir.databasePassword();
        for (int attempt = 1; ; attempt++) {
            try {
                PrivateDataDir.adoptOldDatabase(url, password);
                JdbcSessionStore store = JdbcSessionStore.builder(url)
                        .user(PrivateDataDir.DATABASE_USER)
                        .password(password)
                        .sweepInterval(Duration.ofMinutes(5))
                        .build();
                dataDir.restrictFiles();
                return store;
            } catch (SessionStoreUnavailableException | SQLException e) {
                if (attempt == 20) {
                    throw new StoreOpenException(
                            "cannot open the revocation record at " + url + ": " + e.getMessage(), e);
                }
                try {
                    Thread.sleep(100L + ThreadLocalRandom.current().nextInt(400));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new SessionStoreUnavailableException("interrupted while opening " + url, e);
                }
            }
        }
    }

    /** A sealer and the store behind its revocation record, closed together. */
    record Sealed(SealedCookieSessions sealer, SessionStore revocations) implements AutoCloseable {
        @Override
        public void close() {
            revocations.close();
        }
    }

    /** The cluster view of a store that has one, for the node's {@code /health}. */
    /**
     * The store with its attribute values sealed at rest when {@value SealedAttributes#KEYSET_VARIABLE}
     * holds a keyset, else the store itself.
     *
     * @throws IllegalStateException if the variable holds no usable keyset (the store is closed)
     */
    static SessionStore sealedAtRest(SessionStore store, Map<String, String> environment) {
        String keyset =
                environment.getOrDefault(SealedAttributes.KEYSET_VARIABLE, "").strip();
        if (keyset.isEmpty()) {
            return store;
        }
        try {
            return SealedAttributes.wrap(store, keyset);
        } catch (IllegalArgumentException e) {
            store.close();
            throw new IllegalStateException(SealedAttributes.KEYSET_VARIABLE + ": " + e.getMessage(), e);
        }
    }

    static Optional<Supplier<ClusterView>> viewOf(SessionStore store) {
        if (store instanceof PrimaryBackupSessionStore primaryBackup) {
            return Optional.of(primaryBackup::view);
        }
        if (store instanceof ReplicatedSessionStore replicated) {
            return Optional.of(replicated::view);
        }
        return Optional.empty();
    }

    /**
     * Where a node of a cluster store listens, where its peers are, where they reach it when not
     * where it listens ({@code announce}: behind NAT or a relay), and the TLS between the nodes
     * (empty: plain text, which the operator chose; {@link NodeCommand} refuses no choice).
     */
    record Cluster(
            String nodeName,
            String host,
            int port,
            String peers,
            Optional<InetSocketAddress> announce,
            Optional<ClusterTls> tls) {
        static Cluster standalone() {
            return new Cluster("node", "127.0.0.1", 7800, "127.0.0.1[7800]", Optional.empty(), Optional.empty());
        }

        <B extends ClusterStoreBuilder<B, ?>> B secure(B builder) {
            return tls.isPresent() ? builder.tls(tls.get()) : builder.plaintext();
        }
    }

    static SessionStore open(String value, CommandLine commandLine) {
        return open(value, commandLine, Cluster.standalone());
    }

    static SessionStore open(String value, CommandLine commandLine, Cluster cluster) {
        String v = value.strip();
        String kind = v.toLowerCase(Locale.ROOT);
        if (kind.equals("memory") || kind.equals("local")) {
            return MemorySessionStore.builder().build();
        }
        if (kind.startsWith("redis://")
                || kind.startsWith("rediss://")
                || kind.startsWith("redis-sentinel://")
                || kind.startsWith("redis-cluster://")
                || kind.startsWith("rediss-cluster://")) {
            try {
                RedisSessionStore.Builder redis = RedisSessionStore.builder(v);
                Optional.ofNullable(System.getenv(RedisSessionStore.SENTINEL_PASSWORD_VARIABLE))
                        .filter(p -> !p.isEmpty() && kind.startsWith("redis-sentinel://"))
                        .ifPresent(redis::sentinelPassword);
                return redis.build();
            } catch (SessionStoreUnavailableException e) {
                throw new StoreOpenException("cannot open the Redis store: " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage());
            }
        }
        if (kind.equals("redis")) {
            throw new CommandLine.ParameterException(
                    commandLine, "--store redis starts a local server only in satchel demo; give redis://HOST:PORT");
        }
        if (kind.startsWith("jdbc:")) {
            try {
                return JdbcSessionStore.builder(v).build();
            } catch (SessionStoreUnavailableException e) {
                throw new StoreOpenException("cannot open the SQL store: " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage());
            }
        }
        if (kind.startsWith("mongodb://") || kind.startsWith("mongodb+srv://")) {
            try {
                return MongoSessionStore.builder(v).build();
            } catch (SessionStoreUnavailableException e) {
                throw new StoreOpenException("cannot open the MongoDB store: " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage());
            }
        }
        if (kind.startsWith("file:")) {
            return openFile(v.substring("file:".length()), cluster.nodeName(), commandLine);
        }
        if (kind.equals("cookie")) {
            throw new CommandLine.ParameterException(
                    commandLine, "--store cookie keeps sessions in sealed cookies, not in a store");
        }
        if (isClustered(kind)) {
            // The stack reads its addresses from these properties (see dev/satchel/cluster/tcp.xml).
            System.setProperty("satchel.cluster.bind_addr", cluster.host());
            System.setProperty("satchel.cluster.port", Integer.toString(cluster.port()));
            System.setProperty("satchel.cluster.peers", cluster.peers());
            // JGroups' own properties, read by TCP and FD_SOCK2: the address the peers are told.
            cluster.announce().ifPresent(a -> {
                System.setProperty("jgroups.external_addr", a.getAddress().getHostAddress());
                System.setProperty("jgroups.external_port", Integer.toString(a.getPort()));
            });
            Replication mode = kind.endsWith("-async") ? Replication.ASYNC : Replication.SYNC;
            try {
                if (kind.startsWith("primary-backup")) {
                    return cluster.secure(PrimaryBackupSessionStore.builder("satchel"))
                            .nodeName(cluster.nodeName())
                            .mode(mode)
                            .build();
                }
                return cluster.secure(ReplicatedSessionStore.builder("satchel"))
                        .nodeName(cluster.nodeName())
                        .mode(mode)
                        .build();
            } catch (SessionStoreUnavailableException e) {
                throw new StoreOpenException("cannot join the cluster: " + e.getMessage(), e);
            }
        }
        throw new CommandLine.ParameterException(
                commandLine,
                "unknown --store '" + value
                        + "'; expected memory, file:DIR, replicated, cookie, redis, redis://HOST:PORT, jdbc:... or mongodb://...");
    }

    /**
     * {@code file:DIR}, or {@code file:DIR?sync=never}: this node's sessions in {@code DIR/<node
     * name>}, so the nodes of one demo, given one {@code --store}, keep one folder each.
     */
    private static SessionStore openFile(String spec, String nodeName, CommandLine commandLine) {
        FileSessionStore.Location location = location(spec, commandLine);
        try {
            return FileSessionStore.builder(location.folder().resolve(nodeName))
                    .sync(location.sync())
                    .build();
        } catch (SessionStoreUnavailableException e) {
            throw new StoreOpenException("cannot open the file store: " + e.getMessage(), e);
        }
    }

    /**
     * Checks a {@code file:} value without opening it: opening makes the node's folder, which only
     * the node itself should do.
     */
    static void checkFile(String value, CommandLine commandLine) {
        location(value.strip().substring("file:".length()), commandLine);
    }

    private static FileSessionStore.Location location(String spec, CommandLine commandLine) {
        try {
            return FileSessionStore.Location.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, "--store " + e.getMessage());
        }
    }
}
