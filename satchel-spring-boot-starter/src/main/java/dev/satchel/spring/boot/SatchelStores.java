package dev.satchel.spring.boot;

import dev.satchel.cluster.ClusterStoreBuilder;
import dev.satchel.cluster.ClusterTls;
import dev.satchel.cluster.PrimaryBackupSessionStore;
import dev.satchel.cluster.ReplicatedSessionStore;
import dev.satchel.cluster.Replication;
import dev.satchel.core.SessionStore;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.store.file.FileSessionStore;
import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.store.mongodb.MongoSessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import io.lettuce.core.resource.ClientResources;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;

/** Opens the store {@code satchel.store} names, or says at start-up why it cannot. */
public final class SatchelStores {
    private static final String STORE_VALUES = "memory, file:DIR, redis://HOST:PORT (or rediss://, redis-sentinel://,"
            + " redis-cluster://, rediss-cluster://), mongodb://HOST:PORT/DB, a JDBC URL, jdbc (the application's DataSource), replicated, primary-backup"
            + " (each also -async), or cookie";

    private SatchelStores() {}

    /** Whether {@code store} asks for sessions sealed in the client's cookies instead of a store. */
    static boolean isCookie(String store) {
        return store.strip().equalsIgnoreCase("cookie");
    }

    /** {@code file:DIR} or {@code file:DIR?sync=never}: this instance's sessions in DIR. */
    private static SessionStore file(String spec) {
        FileSessionStore.Location location;
        try {
            location = FileSessionStore.Location.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new SatchelConfigurationException(
                    "satchel.store=" + e.getMessage(),
                    "Write satchel.store=file:/var/lib/app/sessions, optionally with ?sync=never.");
        }
        return FileSessionStore.builder(location.folder()).sync(location.sync()).build();
    }

    /**
     * What metrics and health call {@code store}: {@code memory}, {@code redis}, {@code jdbc}, {@code mongodb},
     * {@code replicated}, {@code primary-backup}, or {@code custom} for an application's own; never
     * a host or a password.
     */
    public static String kindOf(SessionStore store) {
        if (store instanceof RedisSessionStore) {
            return "redis";
        }
        if (store instanceof JdbcSessionStore) {
            return "jdbc";
        }
        if (store instanceof MongoSessionStore) {
            return "mongodb";
        }
        if (store instanceof MemorySessionStore) {
            return "memory";
        }
        if (store instanceof FileSessionStore) {
            return "file";
        }
        if (store instanceof PrimaryBackupSessionStore) {
            return "primary-backup";
        }
        if (store instanceof ReplicatedSessionStore) {
            return "replicated";
        }
        return "custom";
    }

    /**
     * The store {@code value} names.
     *
     * @param redisSettings what a Redis store needs beside its URI (the Sentinels' own password)
     * @param dataSource the application's own, for {@code jdbc}
     * @param lettuce the application's Lettuce resources, whose threads a Redis store runs on
     * @throws SatchelConfigurationException for a value it does not know, or a store that cannot be
     *     opened
     */
    static SessionStore open(
            String value,
            SatchelProperties.Cluster cluster,
            SatchelProperties.Redis redisSettings,
            Optional<DataSource> dataSource,
            Optional<ClientResources> lettuce) {
        String v = value.strip();
        String kind = v.toLowerCase(Locale.ROOT);
        try {
            if (kind.equals("memory")) {
                return MemorySessionStore.builder().build();
            }
            if (kind.startsWith("redis://")
                    || kind.startsWith("rediss://")
                    || kind.startsWith("redis-sentinel://")
                    || kind.startsWith("redis-cluster://")
                    || kind.startsWith("rediss-cluster://")) {
                RedisSessionStore.Builder redis = RedisSessionStore.builder(v);
                lettuce.ifPresent(redis::clientResources);
                boolean sentinels = kind.startsWith("redis-sentinel://");
                if (!redisSettings.sentinelPassword().isEmpty() && !sentinels) {
                    throw new SatchelConfigurationException(
                            "satchel.redis.sentinel-password is set, but satchel.store=" + redacted(v)
                                    + " names no Sentinels",
                            "Use a redis-sentinel:// store, or remove satchel.redis.sentinel-password.");
                }
                if (sentinels) {
                    sentinelPassword(redisSettings).ifPresent(redis::sentinelPassword);
                }
                return redis.build();
            }
            if (kind.equals("jdbc")) {
                DataSource ds = dataSource.orElseThrow(() -> new SatchelConfigurationException(
                        "satchel.store=jdbc keeps sessions in the application's DataSource, and it has none",
                        "Add a DataSource (spring.datasource.url), or give satchel.store a JDBC URL."));
                return JdbcSessionStore.builder(ds).build();
            }
            if (kind.startsWith("jdbc:")) {
                return JdbcSessionStore.builder(v).build();
            }
            if (kind.startsWith("mongodb://") || kind.startsWith("mongodb+srv://")) {
                return MongoSessionStore.builder(v).build();
            }
            if (kind.startsWith("file:")) {
                return file(v.substring("file:".length()));
            }
            if (kind.startsWith("replicated") || kind.startsWith("primary-backup")) {
                return clustered(kind, cluster);
            }
        } catch (SatchelConfigurationException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new SatchelConfigurationException(
                    "Satchel could not open its session store " + redacted(v) + ": " + e.getMessage(),
                    "Start that store or correct satchel.store; the application does not start without its"
                            + " sessions.",
                    e);
        }
        throw new SatchelConfigurationException(
                "satchel.store=" + redacted(v) + " is not a store Satchel knows",
                "Set satchel.store to one of: " + STORE_VALUES + ".");
    }

    /**
     * The Sentinels' own password: the property, else the environment variable {@code satchel node}
     * reads, which, as there, counts only for a Sentinel store.
     */
    private static Optional<String> sentinelPassword(SatchelProperties.Redis settings) {
        String password = settings.sentinelPassword().isEmpty()
                ? System.getenv().getOrDefault(RedisSessionStore.SENTINEL_PASSWORD_VARIABLE, "")
                : settings.sentinelPassword();
        return password.isEmpty() ? Optional.empty() : Optional.of(password);
    }

    private static SessionStore clustered(String kind, SatchelProperties.Cluster cluster) {
        boolean async = kind.endsWith("-async");
        String base = async ? kind.substring(0, kind.length() - "-async".length()) : kind;
        if (!base.equals("replicated") && !base.equals("primary-backup")) {
            throw new SatchelConfigurationException(
                    "satchel.store=" + kind + " is not a store Satchel knows",
                    "Set satchel.store to one of: " + STORE_VALUES + ".");
        }
        // The JGroups stack reads its addresses from these (dev/satchel/cluster/tcp.xml), as
        // satchel node sets them.
        System.setProperty("satchel.cluster.bind_addr", cluster.bindAddress());
        System.setProperty("satchel.cluster.port", Integer.toString(cluster.port()));
        System.setProperty("satchel.cluster.peers", String.join(",", cluster.peers()));
        announced(cluster.announce()).ifPresent(a -> {
            System.setProperty("jgroups.external_addr", a.getAddress().getHostAddress());
            System.setProperty("jgroups.external_port", Integer.toString(a.getPort()));
        });
        Replication mode = async ? Replication.ASYNC : Replication.SYNC;
        if (base.equals("primary-backup")) {
            PrimaryBackupSessionStore.Builder b = secured(PrimaryBackupSessionStore.builder(cluster.name()), cluster)
                    .mode(mode);
            if (!cluster.nodeName().isBlank()) {
                b.nodeName(cluster.nodeName());
            }
            return b.build();
        }
        ReplicatedSessionStore.Builder b =
                secured(ReplicatedSessionStore.builder(cluster.name()), cluster).mode(mode);
        if (!cluster.nodeName().isBlank()) {
            b.nodeName(cluster.nodeName());
        }
        return b.build();
    }

    /** TLS from {@code satchel.cluster.keystore}, or plain text when {@code satchel.cluster.plaintext} says so. */
    private static <B extends ClusterStoreBuilder<B, ?>> B secured(B builder, SatchelProperties.Cluster cluster) {
        boolean keystore = !cluster.keystore().isBlank();
        if (keystore == cluster.plaintext()) {
            throw new SatchelConfigurationException(
                    keystore
                            ? "satchel.cluster.keystore and satchel.cluster.plaintext are both set"
                            : "the cluster stores send sessions between the nodes, and neither"
                                    + " satchel.cluster.keystore nor satchel.cluster.plaintext is set",
                    "Set satchel.cluster.keystore to a keystore every node shares (satchel cluster-keystore makes"
                            + " one), or satchel.cluster.plaintext=true on a network nobody else reaches.");
        }
        if (!keystore) {
            return builder.plaintext();
        }
        String password = cluster.keystorePassword().isEmpty()
                ? System.getenv().getOrDefault("SATCHEL_CLUSTER_KEYSTORE_PASSWORD", "")
                : cluster.keystorePassword();
        try {
            return builder.tls(ClusterTls.fromKeystore(Path.of(cluster.keystore()), password.toCharArray()));
        } catch (IllegalArgumentException e) {
            throw new SatchelConfigurationException(
                    e.getMessage(),
                    "Set satchel.cluster.keystore-password, or SATCHEL_CLUSTER_KEYSTORE_PASSWORD, to the keystore's"
                            + " password, and satchel.cluster.keystore to a readable keystore with one key.");
        }
    }

    /** {@code satchel.cluster.announce} as an address; empty when not set. */
    static Optional<InetSocketAddress> announced(String value) {
        if (value.isBlank()) {
            return Optional.empty();
        }
        int colon = value.lastIndexOf(':');
        int port = -1;
        if (colon > 0) {
            try {
                port = Integer.parseInt(value.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
        }
        if (colon <= 0 || port < 1 || port > 65_335) {
            throw new SatchelConfigurationException(
                    "satchel.cluster.announce=" + value + " is not HOST:PORT with a port of 1 to 65335",
                    "Give the address and port the other nodes reach this node's cluster port by; failure"
                            + " detection and save links are announced at that port + 100 and + 200.");
        }
        InetSocketAddress address = new InetSocketAddress(value.substring(0, colon), port);
        if (address.isUnresolved() || address.getAddress().isAnyLocalAddress()) {
            throw new SatchelConfigurationException(
                    "satchel.cluster.announce=" + value + " names no address the other nodes can reach",
                    "Give this node's address as the other nodes see it.");
        }
        return Optional.of(address);
    }

    /** The value without a password it may carry ({@code redis://:secret@host}, {@code ?password=}). */
    static String redacted(String value) {
        return value.replaceAll("//[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
