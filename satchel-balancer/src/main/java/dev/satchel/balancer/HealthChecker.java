package dev.satchel.balancer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks: every interval, GET the health path of every node; a node goes down after
 * {@code fall} failed checks and comes back after {@code rise} good ones. A check times out after
 * the interval, so a hung node counts as failed rather than holding the checker. The answer's
 * {@code store.sessions_held}, when a node gives one, is kept for the live view.
 */
final class HealthChecker implements AutoCloseable {
    /** A health answer is a few hundred bytes; more than this is read no further. */
    static final int MAX_BODY_BYTES = 16 * 1024;

    private final BalancerConfig config;
    private final NodeRegistry nodes;
    private final HttpClient http;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "satchel-health");
        t.setDaemon(true);
        return t;
    });

    HealthChecker(BalancerConfig config, NodeRegistry nodes) {
        this.config = config;
        this.nodes = nodes;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.healthInterval)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    void start() {
        long period = config.healthInterval.toMillis();
        timer.scheduleWithFixedDelay(this::checkAll, period, period, TimeUnit.MILLISECONDS);
    }

    private void checkAll() {
        Duration timeout = config.healthInterval;
        for (Node node : nodes.all()) {
            HttpRequest request = HttpRequest.newBuilder(
                            URI.create("http://" + node.address.authority() + config.healthPath))
                    .timeout(timeout)
                    .GET()
                    .build();
            http.sendAsync(request, info -> new HealthBody(MAX_BODY_BYTES)).whenComplete((response, failure) -> {
                node.checked(failure == null && response.statusCode() >= 200 && response.statusCode() < 400);
                node.reportedSessions(
                        failure == null ? HealthBody.sessionsHeld(response.body()) : OptionalLong.empty());
            });
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
