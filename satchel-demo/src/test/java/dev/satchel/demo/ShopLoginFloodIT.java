package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import dev.satchel.core.memory.MemorySessionStore;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A login flood against one node whose heap is a demo node's (the build runs this class in a JVM
 * with {@code -Xmx256m}): every answer is a 200 or a 503 with {@code Retry-After}, never a 500, no
 * {@link OutOfMemoryError} is logged, and the node still answers afterwards.
 */
class ShopLoginFloodIT {
    private static final int LOGINS = 100;
    private static final int NO_ANSWER = 0;
    private static final String CREDENTIALS = "{\"username\":\"flood\",\"password\":\"a long enough phrase\"}";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final OomWatch oomWatch = new OomWatch();
    private MemorySessionStore store;
    private ShopNode node;

    /** Counts log events that carry an OutOfMemoryError anywhere in their cause chain. */
    private static final class OomWatch extends AppenderBase<ILoggingEvent> {
        final AtomicInteger seen = new AtomicInteger();

        @Override
        protected void append(ILoggingEvent event) {
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                if (t.getClassName().equals(OutOfMemoryError.class.getName())) {
                    seen.incrementAndGet();
                    return;
                }
            }
            if (String.valueOf(event.getFormattedMessage()).contains("OutOfMemoryError")) {
                seen.incrementAndGet();
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        oomWatch.setContext(root.getLoggerContext());
        oomWatch.start();
        root.addAppender(oomWatch);
        Path data = Files.createTempDirectory("satchel-flood");
        store = MemorySessionStore.builder().build();
        node = ShopNode.start(ShopConfig.of("node-a", 0, data), store);
        HttpResponse<String> signup =
                post("/api/signup", "{\"username\":\"flood\",\"password\":\"a long enough phrase\"}");
        assertThat(signup.statusCode()).as(signup.body()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(oomWatch);
        node.close();
        store.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(node.uri().resolve(path))
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void hundredConcurrentLogins_getOkOrRetryLater_neverA500OrAnOutOfMemoryError() throws Exception {
        Map<Integer, Integer> statuses = new TreeMap<>();
        int refusedWithoutRetryAfter = 0;
        ExecutorService pool = Executors.newFixedThreadPool(LOGINS);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < LOGINS; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    try {
                        return post("/api/login", CREDENTIALS);
                    } catch (IOException noAnswer) {
                        return null; // the connection closed without an answer: counted, not thrown
                    }
                }));
            }
            go.countDown();
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get();
                statuses.merge(r == null ? NO_ANSWER : r.statusCode(), 1, Integer::sum);
                if (r != null
                        && r.statusCode() == 503
                        && r.headers().firstValue("Retry-After").isEmpty()) {
                    refusedWithoutRetryAfter++;
                }
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.println("login flood: statuses " + statuses + ", OutOfMemoryErrors logged " + oomWatch.seen);

        assertThat(statuses.keySet()).as("statuses %s", statuses).isSubsetOf(200, 503);
        assertThat(statuses.getOrDefault(200, 0)).as("some logins get through").isPositive();
        assertThat(refusedWithoutRetryAfter).as("every 503 says when to retry").isZero();
        assertThat(oomWatch.seen.get()).as("OutOfMemoryErrors logged").isZero();
        HttpResponse<String> after = post("/api/login", CREDENTIALS);
        assertThat(after.statusCode())
                .as("a login after the flood: %s", after.body())
                .isEqualTo(200);
    }
}
