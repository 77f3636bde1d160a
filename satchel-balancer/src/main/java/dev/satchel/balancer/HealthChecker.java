package dev.satchel.balancer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks: every interval, GET the health path of every node; a node goes down after
 * {@code fall} failed checks and comes back after {@code rise} good ones. A check times out after
 * the interval, so a hung node counts as failed rather than holding the checker.
 */
final class HealthChecker implements AutoCloseable {
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
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, failure) -> node.checked(
                            failure == null && response.statusCode() >= 200 && response.statusCode() < 400));
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
