package dev.satchel.cli;

import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.Policy;
import dev.satchel.balancer.TlsSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Options shared by {@code satchel balancer} and {@code satchel demo}. */
final class BalancerOptions {

    @Option(
            names = "--port",
            defaultValue = "8080",
            description = "Port the balancer listens on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--admin-port",
            defaultValue = "8081",
            description = "Port of the admin API (default: ${DEFAULT-VALUE}).")
    int adminPort;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address the balancer listens on (default: ${DEFAULT-VALUE}); not the admin API's.")
    String host;

    @Option(
            names = "--admin-host",
            defaultValue = "127.0.0.1",
            description = "Address of the admin API (default: ${DEFAULT-VALUE}). Anyone who reaches it with the"
                    + " token controls the cluster, and the token travels in clear: expose it only through a"
                    + " TLS proxy or an SSH tunnel.")
    String adminHost;

    @Option(
            names = "--admin-token-file",
            paramLabel = "FILE",
            description = "File holding the admin API's bearer token (32+ characters, e.g. from"
                    + " 'openssl rand -base64 32'); else the " + ADMIN_TOKEN_VARIABLE + " environment variable.")
    Path adminTokenFile;

    /** The environment variable that may carry the admin token, when no file is named. */
    static final String ADMIN_TOKEN_VARIABLE = "SATCHEL_ADMIN_TOKEN";

    @Option(
            names = "--policy",
            defaultValue = "sticky-cookie",
            description =
                    "round-robin, least-connections, sticky-cookie, ip-hash or session-hash (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(
            names = "--new-sessions",
            defaultValue = "round-robin",
            description =
                    "How clients without a pin or session are spread: round-robin or least-connections (default: ${DEFAULT-VALUE}).")
    String newSessions;

    @Option(
            names = "--bounded-load",
            description = "For the hashing policies: skip a node above this multiple of the average load, e.g. 1.25.")
    Double boundedLoad;

    @Option(
            names = "--health-path",
            defaultValue = "/health",
            description = "Path of the active health check (default: ${DEFAULT-VALUE}).")
    String healthPath;

    @Option(
            names = "--max-body-bytes",
            paramLabel = "BYTES",
            defaultValue = "" + BalancerConfig.DEFAULT_MAX_BODY_BYTES,
            description = "Largest request body; larger gets 413 from the balancer. Bodies are held at the"
                    + " balancer until complete before a node is involved, so this is also the memory one"
                    + " upload may take (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(
            names = "--max-response-header-bytes",
            paramLabel = "BYTES",
            defaultValue = "" + BalancerConfig.DEFAULT_MAX_RESPONSE_HEADER_BYTES,
            description =
                    "Largest response head a node may send; larger is answered 502" + " (default: ${DEFAULT-VALUE}).")
    int maxResponseHeaderBytes;

    @Option(
            names = "--head-timeout",
            defaultValue = "10",
            paramLabel = "SECONDS",
            description = "Time from a request's first byte to the end of its headers; slower gets 408 and"
                    + " a close (default: ${DEFAULT-VALUE}).")
    int headTimeoutSeconds;

    @Option(
            names = "--body-idle-timeout",
            defaultValue = "5",
            paramLabel = "SECONDS",
            description = "Longest pause allowed while a request body arrives; longer gets 408 and a close"
                    + " (default: ${DEFAULT-VALUE}).")
    int bodyIdleTimeoutSeconds;

    @Option(
            names = "--min-body-rate",
            paramLabel = "BYTES_PER_SECOND",
            defaultValue = "" + BalancerConfig.DEFAULT_MIN_BODY_RATE,
            description = "Slowest average rate a request body may arrive at once it has had 5 s; slower"
                    + " gets 408 and a close, so a byte sent just inside every pause cannot hold a"
                    + " connection; 0 turns it off (default: ${DEFAULT-VALUE}).")
    long minBodyRate;

    @Option(
            names = "--max-conns-per-client",
            paramLabel = "N",
            defaultValue = "" + BalancerConfig.DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            description = "Open connections allowed from one client address; more get 429 and a close"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxConnectionsPerClient;

    @Option(
            names = "--observe-5xx",
            description = "Count a node's 5xx answers as failures that can mark it down, as HAProxy's"
                    + " 'observe layer7'. Off by default; a 503 for an unavailable session store never counts.")
    boolean observe5xx;

    @Option(
            names = "--tunnel-idle-timeout",
            paramLabel = "SECONDS",
            defaultValue = "" + 3600,
            description = "How long a WebSocket may carry nothing either way before the balancer closes it,"
                    + " as HAProxy's 'timeout tunnel' (default: ${DEFAULT-VALUE}). WebSocket upgrades are"
                    + " routed like any request of their session, then tunnelled; other Upgrades (h2c)"
                    + " are dropped and the request stays plain HTTP.")
    int tunnelIdleTimeoutSeconds;

    @Option(
            names = "--tls-cert",
            paramLabel = "FILE",
            description = "PEM certificate chain, leaf first. With --tls-key the balancer speaks only HTTPS"
                    + " on --port (TLS 1.2 and 1.3, forward-secret AEAD ciphers), tells the nodes"
                    + " X-Forwarded-Proto: https, and marks its affinity cookie Secure.")
    Path tlsCert;

    @Option(
            names = "--tls-key",
            paramLabel = "FILE",
            description = "The certificate's private key: unencrypted PKCS#8 PEM (BEGIN PRIVATE KEY), readable"
                    + " by the balancer's user only.")
    Path tlsKey;

    @Option(
            names = "--http-redirect-port",
            paramLabel = "PORT",
            description = "With TLS: also listen for plain HTTP on this port (e.g. 80) and answer every"
                    + " request there with a 308 to the same address over HTTPS.")
    Integer httpRedirectPort;

    BalancerConfig.Builder configure() {
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen(host, port)
                .admin(adminHost, adminPort)
                .policy(Policy.parse(policy))
                .newSessionBalance(Policy.parse(newSessions))
                .healthCheck(healthPath, java.time.Duration.ofSeconds(1), 2, 2);
        b.limits(BalancerConfig.DEFAULT_MAX_INITIAL_LINE, BalancerConfig.DEFAULT_MAX_HEADER_BYTES, maxBodyBytes)
                .clientDeadlines(
                        java.time.Duration.ofSeconds(headTimeoutSeconds),
                        java.time.Duration.ofSeconds(bodyIdleTimeoutSeconds))
                .minBodyRate(minBodyRate, BalancerConfig.DEFAULT_BODY_RATE_GRACE)
                .responseHeaderLimit(maxResponseHeaderBytes)
                .maxConnectionsPerClient(maxConnectionsPerClient)
                .observe5xx(observe5xx)
                .tunnelIdleTimeout(java.time.Duration.ofSeconds(tunnelIdleTimeoutSeconds));
        if (boundedLoad != null) {
            b.boundedLoad(boundedLoad);
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        if (tlsCert != null) {
            b.tls(TlsSettings.fromPem(tlsCert, tlsKey));
        }
        if (httpRedirectPort != null) {
            b.httpRedirect(httpRedirectPort);
        }
        return b;
    }

    /**
     * The admin token the operator configured: --admin-token-file, else the environment variable;
     * empty when neither is given, for the command to decide.
     *
     * @throws IllegalArgumentException if the file cannot be read or both sources are given
     */
    Optional<String> configuredAdminToken(Map<String, String> environment) {
        String fromEnvironment =
                environment.getOrDefault(ADMIN_TOKEN_VARIABLE, "").strip();
        if (adminTokenFile == null) {
            return fromEnvironment.isEmpty() ? Optional.empty() : Optional.of(fromEnvironment);
        }
        if (!fromEnvironment.isEmpty()) {
            // Two sources could hold two tokens; refusing beats guessing which one the operator uses.
            throw new IllegalArgumentException(
                    "give the admin token by --admin-token-file or " + ADMIN_TOKEN_VARIABLE + ", not both");
        }
        try {
            return Optional.of(
                    Files.readString(adminTokenFile, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --admin-token-file " + adminTokenFile + ": " + e);
        }
    }

    /**
     * Writes a token to a file only its owner can read: created 0600, never widened after the fact,
     * so no other local user can read it even for an instant.
     */
    static void writeSecret(Path file, String token) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
    }
}
