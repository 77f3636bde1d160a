package dev.satchel.store.mongodb;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.Durations;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Configures a {@link MongoSessionStore}. Not thread-safe. */
public final class MongoStoreBuilder {

    /** How long a call waits for a server, a connection or an answer before it fails with 503. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /** The collection sessions live in unless told otherwise. */
    public static final String DEFAULT_COLLECTION = "satchel_sessions";

    /** The database of a connection string that names none. */
    public static final String DEFAULT_DATABASE = "satchel";

    /** How often each node sweeps expired sessions. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);

    /**
     * How long after its expiry MongoDB's own TTL monitor deletes a document no sweep deleted (all
     * nodes down, say). Long enough that the sweeps, which report each expiry, go first.
     */
    public static final Duration DEFAULT_TTL_GRACE = Duration.ofHours(1);

    private final Optional<String> connectionString;
    private final Optional<MongoClient> client;
    private String database;
    private String collection = DEFAULT_COLLECTION;
    private Clock clock = Clock.systemUTC();
    private Duration timeout = DEFAULT_TIMEOUT;
    private boolean sweepInBackground = true;
    private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
    private int sweepBatchSize = 500;
    private int sweepMaxBatches = 20;
    private static final Logger LOG = LoggerFactory.getLogger(MongoStoreBuilder.class);
    private static final String EXPIRY_INDEX = "satchel_expiry";
    /** IndexOptionsConflict and IndexKeySpecsConflict: an index of that name exists, set otherwise. */
    private static final Set<Integer> INDEX_CONFLICT = Set.of(85, 86);
    /** IndexNotFound. */
    private static final int INDEX_NOT_FOUND = 27;

    private Optional<Duration> ttlGrace = Optional.of(DEFAULT_TTL_GRACE);
    private Optional<Path> trustedCertificates = Optional.empty();

    MongoStoreBuilder(String connectionString) {
        Objects.requireNonNull(connectionString, "connectionString");
        ConnectionString parsed;
        try {
            parsed = new ConnectionString(connectionString);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a MongoDB connection string: " + e.getMessage(), e);
        }
        MongoTls.Split split = MongoTls.split(connectionString);
        this.connectionString = Optional.of(split.connectionString());
        this.trustedCertificates = split.caFile();
        this.client = Optional.empty();
        this.database = Optional.ofNullable(parsed.getDatabase()).orElse(DEFAULT_DATABASE);
    }

    MongoStoreBuilder(MongoClient client, String database) {
        this.client = Optional.of(Objects.requireNonNull(client, "client"));
        this.connectionString = Optional.empty();
        this.database = requireName(database, "database");
    }

    /** The database (default: the connection string's, else {@value #DEFAULT_DATABASE}). */
    public MongoStoreBuilder database(String name) {
        this.database = requireName(name, "database");
        return this;
    }

    /** The collection (default {@value #DEFAULT_COLLECTION}). */
    public MongoStoreBuilder collection(String name) {
        this.collection = requireName(name, "collection");
        return this;
    }

    /** The clock that decides expiry; tests pass a fake one. */
    public MongoStoreBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /**
     * How long a call waits for a server, a pooled connection or an answer before it fails with
     * 503 (default {@link #DEFAULT_TIMEOUT}, at least 250 ms). Applies to the store's own client
     * only; a client given to the store keeps its own settings.
     */
    public MongoStoreBuilder timeout(Duration timeout) {
        Durations.requirePositive(timeout, "timeout");
        if (timeout.toMillis() < 250) {
            throw new IllegalArgumentException("timeout must be at least 250 ms: " + timeout);
        }
        this.timeout = timeout;
        return this;
    }

    /**
     * For a connection string with {@code tls=true}: trusts the CA certificates in this PEM file
     * instead of the JDK's, as managed MongoDB with a private CA needs; the server's name is still
     * verified. The same as {@code tlsCAFile=FILE} in the connection string. For the store's own
     * client only: an application's {@code MongoClient} brings its own TLS settings.
     */
    public MongoStoreBuilder trustedCertificates(Path caPem) {
        Objects.requireNonNull(caPem, "caPem");
        if (client.isPresent()) {
            throw new IllegalArgumentException(
                    "the application's MongoClient brings its own TLS settings; set the CA there");
        }
        this.trustedCertificates = Optional.of(caPem);
        return this;
    }

    /** Whether this store sweeps on its own timer (default true); tests sweep by hand. */
    public MongoStoreBuilder sweepInBackground(boolean enabled) {
        this.sweepInBackground = enabled;
        return this;
    }

    /** How often this node sweeps (default {@link #DEFAULT_SWEEP_INTERVAL}, at least 100 ms). */
    public MongoStoreBuilder sweepInterval(Duration interval) {
        Durations.requirePositive(interval, "sweep interval");
        if (interval.toMillis() < 100) {
            throw new IllegalArgumentException("sweep interval must be at least 100 ms: " + interval);
        }
        this.sweepInterval = interval;
        return this;
    }

    /** Documents one sweep batch deletes at most (default 500). */
    public MongoStoreBuilder sweepBatchSize(int documents) {
        if (documents < 1) {
            throw new IllegalArgumentException("sweep batch size must be at least 1: " + documents);
        }
        this.sweepBatchSize = documents;
        return this;
    }

    /**
     * The expiry index as a TTL index whose monitor deletes what no sweep deleted, {@code grace}
     * after expiry (default {@link #DEFAULT_TTL_GRACE}). MongoDB's monitor uses the server's clock.
     */
    public MongoStoreBuilder ttlGrace(Duration grace) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("TTL grace must not be negative: " + grace);
        }
        this.ttlGrace = Optional.of(grace);
        return this;
    }

    /**
     * A plain expiry index, no TTL: only the sweeps delete. For tests whose fake clock is far from
     * the server's, which the TTL monitor would otherwise follow.
     */
    public MongoStoreBuilder withoutTtlIndex() {
        this.ttlGrace = Optional.empty();
        return this;
    }

    /**
     * Connects (with the store's own client), makes the indexes and starts the sweep.
     *
     * @throws SessionStoreUnavailableException if MongoDB does not answer in time, refuses the
     *     credentials or the indexes, with the driver's reason
     */
    public MongoSessionStore build() {
        Optional<MongoClient> own = connectionString.map(this::openClient);
        MongoClient using = own.orElseGet(client::orElseThrow);
        try {
            MongoCollection<Document> sessions = using.getDatabase(database).getCollection(collection);
            prepare(sessions);
            return new MongoSessionStore(new MongoSettings(
                    sessions, own, clock, sweepInBackground, sweepInterval, sweepBatchSize, sweepMaxBatches));
        } catch (RuntimeException e) {
            own.ifPresent(MongoClient::close);
            throw e;
        }
    }

    private MongoClient openClient(String uri) {
        ConnectionString parsed = new ConnectionString(uri);
        long millis = timeout.toMillis();
        MongoClientSettings.Builder settings =
                MongoClientSettings.builder().applyConnectionString(parsed).applicationName("satchel");
        if (trustedCertificates.isPresent()) {
            if (!Boolean.TRUE.equals(parsed.getSslEnabled())) {
                throw new IllegalArgumentException(
                        "a MongoDB CA file needs TLS: add tls=true to the connection string");
            }
            SSLContext context = MongoTls.trusting(trustedCertificates.get());
            settings.applyToSslSettings(tls -> tls.enabled(true).context(context));
        }
        // The connection string's own timeouts win; the store's fill in the rest, so a dead server
        // costs a request at most the timeout, never the driver's 30 s default.
        if (parsed.getServerSelectionTimeout() == null) {
            settings.applyToClusterSettings(c -> c.serverSelectionTimeout(millis, TimeUnit.MILLISECONDS));
        }
        if (parsed.getConnectTimeout() == null) {
            settings.applyToSocketSettings(s -> s.connectTimeout((int) millis, TimeUnit.MILLISECONDS));
        }
        if (parsed.getSocketTimeout() == null) {
            settings.applyToSocketSettings(s -> s.readTimeout((int) millis, TimeUnit.MILLISECONDS));
        }
        if (parsed.getMaxWaitTime() == null) {
            settings.applyToConnectionPoolSettings(p -> p.maxWaitTime(millis, TimeUnit.MILLISECONDS));
        }
        return MongoClients.create(settings.build());
    }

    private void prepare(MongoCollection<Document> sessions) {
        String where = database + "." + collection;
        try {
            sessions.createIndex(
                    Indexes.ascending(SessionDocuments.SID),
                    new IndexOptions().name("satchel_sid").unique(true));
            sessions.createIndex(
                    Indexes.ascending(SessionDocuments.PRINCIPAL),
                    new IndexOptions().name("satchel_principal").sparse(true));
            ensureExpiryIndex(sessions, where);
        } catch (MongoTimeoutException e) {
            // The driver's message describes the whole cluster state; the first line is what helps.
            throw new SessionStoreUnavailableException(
                    "cannot prepare the MongoDB collection " + where + ": no server answered at " + servers()
                            + " within " + timeout.toMillis() + " ms" + lastError(e.getMessage()),
                    e);
        } catch (MongoException e) {
            throw new SessionStoreUnavailableException(
                    "cannot prepare the MongoDB collection " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * The expiry index with this builder's TTL grace. One left by a start with another grace, or
     * none, is replaced rather than refused (the sweeps cover the moment without it); MongoDB
     * would refuse to create it over the old one with IndexOptionsConflict.
     */
    private void ensureExpiryIndex(MongoCollection<Document> sessions, String where) {
        Optional<Long> wanted = ttlGrace.map(Duration::toSeconds);
        Optional<Document> existing = sessions.listIndexes().into(new ArrayList<>()).stream()
                .filter(index -> EXPIRY_INDEX.equals(index.getString("name")))
                .findFirst();
        Optional<Long> present = existing.flatMap(index ->
                Optional.ofNullable((Number) index.get("expireAfterSeconds")).map(Number::longValue));
        if (existing.isPresent() && !present.equals(wanted)) {
            LOG.info(
                    "replacing the expiry index of {}: TTL grace {} s, was {} s",
                    where,
                    wanted.map(String::valueOf).orElse("none"),
                    present.map(String::valueOf).orElse("none"));
            try {
                sessions.dropIndex(EXPIRY_INDEX);
            } catch (MongoCommandException e) {
                if (e.getErrorCode() != INDEX_NOT_FOUND) {
                    throw e;
                }
                // Another node starting with the same new grace dropped it first.
            }
        }
        IndexOptions expiry = new IndexOptions().name(EXPIRY_INDEX);
        wanted.ifPresent(seconds -> expiry.expireAfter(seconds, TimeUnit.SECONDS));
        try {
            sessions.createIndex(Indexes.ascending(SessionDocuments.EXPIRES_AT), expiry);
        } catch (MongoCommandException e) {
            if (INDEX_CONFLICT.contains(e.getErrorCode())) {
                throw new SessionStoreUnavailableException(
                        "cannot prepare the MongoDB collection " + where + ": another node is starting with"
                                + " another TTL grace for the expiry index; give all nodes the same",
                        e);
            }
            throw e;
        }
    }

    /**
     * The error the driver saw while selecting a server (a refused TLS certificate, a
     * refused connection), from its cluster description, where the useful part is buried.
     */
    static String lastError(String driverMessage) {
        if (driverMessage == null) {
            return "";
        }
        // The first cause is the most telling (an SSLHandshakeException with its reason); the
        // innermost ones repeat its tail.
        int at = driverMessage.indexOf("caused by {");
        if (at < 0) {
            return "";
        }
        int start = at + "caused by {".length();
        int end = driverMessage.indexOf('}', start);
        String cause = driverMessage
                .substring(start, end < 0 ? driverMessage.length() : end)
                .strip();
        return cause.isEmpty() ? "" : " (last error: " + cause + ")";
    }

    private String servers() {
        return connectionString
                .map(uri -> String.join(",", new ConnectionString(uri).getHosts()))
                .orElse("the application's MongoClient's servers");
    }

    private static String requireName(String name, String what) {
        Objects.requireNonNull(name, what);
        if (name.isBlank()) {
            throw new IllegalArgumentException(what + " name must not be blank");
        }
        return name;
    }
}
