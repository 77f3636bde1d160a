package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

class RefusalLogTest {
    /** Keeps what would be logged: the formatted line and whether it carried a stack trace. */
    private static final class Recording extends LegacyAbstractLogger {
        final List<String> lines = new ArrayList<>();
        final List<Boolean> withTrace = new ArrayList<>();

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
                Level level, Marker marker, String pattern, Object[] args, Throwable throwable) {
            lines.add(MessageFormatter.basicArrayFormat(pattern, args));
            withTrace.add(throwable != null);
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }

    @Test
    void aBurstOfRefusals_writesOneStackTrace_thenCountsTheRest() {
        Recording log = new Recording();
        AtomicLong now = new AtomicLong();
        RefusalLog refusals = new RefusalLog(log, Duration.ofMillis(200), true, now::get);
        for (int i = 0; i < 1000; i++) {
            refusals.refused("session store unavailable", new IllegalStateException("down " + i));
        }
        assertThat(log.lines).hasSize(1);
        assertThat(log.withTrace).containsExactly(true);

        now.addAndGet(Duration.ofMillis(250).toNanos());
        refusals.refused("session store unavailable", new IllegalStateException("still down"));
        assertThat(log.lines).hasSize(2);
        assertThat(log.lines.get(1)).contains("999 more", "still down");
        assertThat(log.withTrace.get(1)).isFalse();
    }

    @Test
    void aFullStore_isLoggedWithoutAStackTrace_andCounted() {
        Recording log = new Recording();
        AtomicLong now = new AtomicLong();
        RefusalLog refusals = new RefusalLog(log, Duration.ofMillis(200), false, now::get);
        for (int i = 0; i < 50; i++) {
            refusals.refused("session limit reached", new IllegalStateException("full"));
        }
        now.addAndGet(Duration.ofMillis(250).toNanos());
        refusals.refused("session limit reached", new IllegalStateException("full"));
        assertThat(log.lines).hasSize(2);
        assertThat(log.withTrace).containsExactly(false, false);
        assertThat(log.lines.get(1)).contains("49 more");
    }
}
