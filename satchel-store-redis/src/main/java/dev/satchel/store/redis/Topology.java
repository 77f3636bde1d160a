package dev.satchel.store.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which Redis the store's URI names, and how Lettuce must be set up to reach it: one server ({@code
 * redis://}, {@code rediss://}), a Sentinel-watched master ({@code redis-sentinel://}), or Redis
 * Cluster ({@code redis-cluster://}, or {@code rediss-cluster://} over TLS: schemes of Satchel's
 * own, since Lettuce takes a seed list).
 */
final class Topology {

    enum Kind {
        STANDALONE,
        SENTINEL,
        CLUSTER
    }

    static final String CLUSTER_SCHEME = "redis-cluster://";
    /** Redis Cluster over TLS: every seed, and every node the cluster names, is reached with TLS. */
    static final String CLUSTER_TLS_SCHEME = "rediss-cluster://";

    /** How often a Cluster client re-reads the slot map even when nothing told it to. */
    static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(10);

    private final String uri;
    private final Kind kind;
    private final RedisTls tls;
    private final Optional<String> sentinelPassword;

    private Topology(String uri, Kind kind, RedisTls tls) {
        this(uri, kind, tls, Optional.empty());
    }

    private Topology(String uri, Kind kind, RedisTls tls, Optional<String> sentinelPassword) {
        this.uri = uri;
        this.kind = kind;
        this.tls = tls;
        this.sentinelPassword = sentinelPassword;
    }

    /**
     * The same Redis, with a password for the sentinels themselves ({@code requirepass} in their
     * configuration), which a Sentinel URI cannot carry: its password is the servers'.
     *
     * @throws IllegalArgumentException if this is not a Sentinel URI
     */
    Topology withSentinelPassword(String password) {
        if (kind != Kind.SENTINEL) {
            throw new IllegalArgumentException("a sentinel password needs a redis-sentinel:// URI");
        }
        return new Topology(uri, kind, tls, Optional.of(password));
    }

    /** An application's own client: what it connects to is the client's business. */
    static Topology ofClient(boolean cluster) {
        return new Topology(
                cluster ? "the application's RedisClusterClient" : "the application's RedisClient",
                cluster ? Kind.CLUSTER : Kind.STANDALONE,
                RedisTls.NONE);
    }

    /** @throws IllegalArgumentException if {@code uri} has none of the schemes above */
    static Topology of(String uri) {
        RedisTls.Split split = uri == null ? new RedisTls.Split("", RedisTls.NONE) : RedisTls.split(uri);
        String rest = split.uri();
        if (rest.startsWith("redis://") || rest.startsWith("rediss://")) {
            return new Topology(rest, Kind.STANDALONE, split.tls());
        }
        if (rest.startsWith("redis-sentinel://")) {
            return new Topology(rest, Kind.SENTINEL, split.tls());
        }
        if (rest.startsWith(CLUSTER_SCHEME) || rest.startsWith(CLUSTER_TLS_SCHEME)) {
            if (rest.indexOf('?') >= 0) {
                // Lettuce's options (ssl=true, timeout, ...) would be dropped from the seeds unseen:
                // a password meant for TLS would go out in plaintext. TLS is the scheme's to say.
                throw new IllegalArgumentException("a Redis Cluster URI takes no options but ca, cert and key"
                        + " (TLS: rediss-cluster://): " + redacted(rest));
            }
            return new Topology(rest, Kind.CLUSTER, split.tls());
        }
        throw new IllegalArgumentException("not a Redis URI (redis://host:port,"
                + " redis-sentinel://host:port,host:port#master, redis-cluster://host:port,host:port"
                + " or rediss-cluster://host:port,host:port): "
                + (uri == null ? null : redacted(uri)));
    }

    Kind kind() {
        return kind;
    }

    /** The same Redis with other TLS files. */
    Topology withTls(RedisTls files) {
        return new Topology(uri, kind, files, sentinelPassword);
    }

    RedisTls tls() {
        return tls;
    }

    /**
     * Whether the URI asks for TLS: {@code rediss://} or Lettuce's ssl=true; for Redis Cluster only
     * {@code rediss-cluster://}.
     */
    boolean usesTls() {
        if (kind == Kind.CLUSTER) {
            return uri.startsWith(CLUSTER_TLS_SCHEME);
        }
        return uri.startsWith("rediss://") || uri.contains("ssl=true");
    }

    boolean isCluster() {
        return kind == Kind.CLUSTER;
    }

    /** The URI with any password masked, for messages and logs. */
    String redacted() {
        return redacted(uri);
    }

    private static String redacted(String uri) {
        // Never log a password: everything up to the authority's last '@', which may have others in it.
        return uri.replaceAll("//[^/?#]*@", "//***@");
    }

    /** The one URI a standalone or Sentinel client connects with. */
    RedisURI redisUri(Duration timeout) {
        if (isCluster()) {
            throw new IllegalStateException("Redis Cluster connects through its seeds");
        }
        RedisURI parsed = RedisURI.create(uri);
        parsed.setTimeout(timeout);
        sentinelPassword.ifPresent(p -> parsed.getSentinels().forEach(sentinel -> sentinel.setPassword(p)));
        return parsed;
    }

    /**
     * {@code redis-cluster://[user:password@]host:port,host:port} as one seed URI per host; {@code
     * rediss-cluster://} as {@code rediss://} seeds, whose TLS and peer verification Lettuce carries
     * over to the nodes it discovers. Options were refused when the URI was read.
     */
    List<RedisURI> clusterSeeds(Duration timeout) {
        if (!isCluster()) {
            throw new IllegalStateException("only Redis Cluster has seeds");
        }
        boolean tlsSeeds = uri.startsWith(CLUSTER_TLS_SCHEME);
        String rest = uri.substring((tlsSeeds ? CLUSTER_TLS_SCHEME : CLUSTER_SCHEME).length());
        int end = rest.indexOf('/');
        if (end >= 0) {
            rest = rest.substring(0, end); // the authority: credentials and hosts
        }
        String credentials = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            // A raw '@' in a password is not valid in a URI; Lettuce reads %40 back as '@'.
            credentials = rest.substring(0, at).replace("@", "%40") + "@";
            rest = rest.substring(at + 1);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String host : rest.split(",")) {
            if (host.isBlank()) {
                continue;
            }
            RedisURI seed = RedisURI.create((tlsSeeds ? "rediss://" : "redis://") + credentials + host.strip());
            seed.setTimeout(timeout);
            seeds.add(seed);
        }
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no host in " + redacted());
        }
        return seeds;
    }

    /**
     * The client's options: the same for every topology (fail fast while disconnected, every command
     * and every connect bounded by {@code timeout}), and on Redis Cluster also following failovers and
     * resharding. A {@link ClusterClientOptions} for Cluster, which its client requires.
     */
    ClientOptions clientOptions(Duration timeout) {
        ClientOptions common = ClientOptions.builder()
                .autoReconnect(true)
                // Queueing commands while Redis is away would hold requests past their timeout.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .sslOptions(tls.isSet() ? tls.sslOptions() : SslOptions.create())
                .build();
        if (!isCluster()) {
            return common;
        }
        return ClusterClientOptions.builder(common)
                // Follow failovers and resharding: on MOVED, ASK and lost connections, and periodically.
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .enablePeriodicRefresh(CLUSTER_REFRESH_PERIOD)
                        .build())
                .build();
    }
}
