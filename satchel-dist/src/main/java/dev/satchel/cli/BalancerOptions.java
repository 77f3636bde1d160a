package dev.satchel.cli;

import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.Policy;
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
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

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

    BalancerConfig.Builder configure() {
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen(host, port)
                .admin(host, adminPort)
                .policy(Policy.parse(policy))
                .newSessionBalance(Policy.parse(newSessions))
                .healthCheck(healthPath, java.time.Duration.ofSeconds(1), 2, 2);
        if (boundedLoad != null) {
            b.boundedLoad(boundedLoad);
        }
        return b;
    }
}
