package dev.satchel.demo;

import dev.satchel.core.SessionId;
import dev.satchel.servlet.SessionOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How to run one shop node.
 *
 * @param nodeName the node's name, in {@code X-Served-By} and as the id route suffix
 * @param host the address to bind (loopback by default)
 * @param port the port to bind; 0 picks a free one
 * @param dataDir where the user database lives
 * @param clock the clock for sessions and login throttling
 * @param usersDbPort the port on which this node serves the users database to the others when it is
 *     the one serving it; 0 picks a free one
 * @param idleTimeout how long a session may go unused before it expires
 */
public record ShopConfig(
        String nodeName, String host, int port, Path dataDir, Clock clock, int usersDbPort, Duration idleTimeout) {

    /** The longest idle timeout: the sessions' absolute timeout, past which idling means nothing. */
    public static final Duration MAX_IDLE_TIMEOUT = SessionOptions.DEFAULT_ABSOLUTE_TIMEOUT;

    /** Validates the configuration. */
    public ShopConfig {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.compareTo(Duration.ofSeconds(1)) < 0 || idleTimeout.compareTo(MAX_IDLE_TIMEOUT) > 0) {
            throw new IllegalArgumentException("idle timeout must be 1 s to 8 h: " + idleTimeout);
        }
        if (!SessionId.isValidRoute(nodeName)) {
            throw new IllegalArgumentException("node name must be 1 to 32 characters of [A-Za-z0-9_-]: " + nodeName);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0 to 65535: " + port);
        }
        if (usersDbPort < 0 || usersDbPort > 65535) {
            throw new IllegalArgumentException("users database port must be 0 to 65535: " + usersDbPort);
        }
    }

    /** A node whose sessions expire after {@link SessionOptions#DEFAULT_IDLE_TIMEOUT} unused. */
    public ShopConfig(String nodeName, String host, int port, Path dataDir, Clock clock, int usersDbPort) {
        this(nodeName, host, port, dataDir, clock, usersDbPort, SessionOptions.DEFAULT_IDLE_TIMEOUT);
    }

    /** A node whose users database, when it serves it, takes any free port. */
    public ShopConfig(String nodeName, String host, int port, Path dataDir, Clock clock) {
        this(nodeName, host, port, dataDir, clock, 0);
    }

    /** A node on loopback with the system clock. */
    public static ShopConfig of(String nodeName, int port, Path dataDir) {
        return new ShopConfig(nodeName, "127.0.0.1", port, dataDir, Clock.systemUTC());
    }
}
