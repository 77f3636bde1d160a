package dev.satchel.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmarks do the work they claim, the same under every session implementation. */
class BenchmarkSmokeTest {

    @Test
    void everySessionImplementation_servesTheSameCountingRequest() throws Exception {
        for (String sessions : new String[] {"jetty", "satchel"}) {
            SessionPerRequestBenchmark b = new SessionPerRequestBenchmark();
            b.sessions = sessions;
            b.start();
            try {
                String body1 = body(b.once());
                String body2 = body(b.once());
                assertThat(body1).as(sessions).matches("\\d+:\\d+");
                int n1 = Integer.parseInt(body1.substring(0, body1.indexOf(':')));
                int n2 = Integer.parseInt(body2.substring(0, body2.indexOf(':')));
                assertThat(n2)
                        .as("%s keeps the session between requests", sessions)
                        .isEqualTo(n1 + 1);
                assertThat(body1.substring(body1.indexOf(':')))
                        .isEqualTo(":" + 9 * "value-0-of-a-typical-session-attribute".length());
            } finally {
                b.stop();
            }
        }
    }

    @Test
    void baseline_touchesNoSession() throws Exception {
        SessionPerRequestBenchmark b = new SessionPerRequestBenchmark();
        b.sessions = "none";
        b.start();
        try {
            assertThat(body(b.once())).isEqualTo("0");
        } finally {
            b.stop();
        }
    }

    @Test
    void sessionLayerBenchmark_bothImplementationsIncrementTheStoredCounter() throws Exception {
        for (String impl : new String[] {"jetty", "satchel"}) {
            SessionLayerBenchmark b = new SessionLayerBenchmark();
            b.impl = impl;
            b.start();
            try {
                int before = b.counter();
                b.request();
                b.request();
                assertThat(b.counter()).as(impl).isEqualTo(before + 2);
            } finally {
                b.stop();
            }
        }
    }

    @Test
    void cookieFreshnessBenchmark_refusesTheCookieItReplacedOnlyWhenTheCheckIsOn() throws Exception {
        for (String freshness : new String[] {"off", "on"}) {
            CookieFreshnessBenchmark b = new CookieFreshnessBenchmark();
            b.freshness = freshness;
            b.record = "memory";
            b.start();
            try {
                List<String> first = b.cookie();
                b.request();
                b.request();
                assertThat(b.opens(b.cookie())).as(freshness).isTrue();
                assertThat(b.opens(first))
                        .as("the replaced cookie, check %s", freshness)
                        .isEqualTo(freshness.equals("off"));
            } finally {
                b.stop();
            }
        }
    }

    private static String body(String response) {
        assertThat(response).startsWith("HTTP/1.1 200");
        return response.substring(response.indexOf("\r\n\r\n") + 4).strip();
    }
}
