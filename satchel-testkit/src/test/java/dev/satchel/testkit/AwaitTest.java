package dev.satchel.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {

    @Test
    void returnsAtOnceWhenTheConditionAlreadyHolds() {
        AtomicInteger polls = new AtomicInteger();

        Await.until(Duration.ofSeconds(5), () -> polls.incrementAndGet() > 0, "anything");

        assertThat(polls).hasValue(1);
    }

    @Test
    void pollsUntilTheValueIsAcceptedAndReturnsIt() {
        AtomicInteger polls = new AtomicInteger();

        int seen = Await.until(Duration.ofSeconds(5), polls::incrementAndGet, n -> n >= 4, "the fourth poll");

        assertThat(seen).isEqualTo(4);
        assertThat(polls).hasValue(4);
    }

    @Test
    void failsNamingWhatWasAwaitedAndTheLastValueSeen() {
        AtomicInteger polls = new AtomicInteger();

        assertThatThrownBy(() -> Await.until(
                        Duration.ofMillis(100), () -> "poll " + polls.incrementAndGet(), s -> false, "the sky to fall"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("100 ms")
                .hasMessageContaining("the sky to fall")
                .hasMessageContaining("last seen: poll " + polls.get());
        assertThat(polls.get()).as("polled more than once, but with pauses").isBetween(2, 50);
    }

    @Test
    void anExceptionOfTheProbeEndsTheWait() {
        assertThatThrownBy(() -> Await.until(
                        Duration.ofSeconds(5),
                        () -> {
                            throw new IllegalStateException("server exited");
                        },
                        "a server"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("server exited");
    }

    @Test
    void aCheckedExceptionOfTheProbeEndsTheWaitAsAnAssertionError() {
        java.io.IOException refused = new java.io.IOException("connection refused");

        assertThatThrownBy(() -> Await.until(
                        Duration.ofSeconds(5),
                        () -> {
                            throw refused;
                        },
                        "a node to answer"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("a node to answer")
                .hasCause(refused);
    }

    @Test
    void anInterruptEndsTheWaitAndStaysSet() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Await.until(Duration.ofSeconds(5), () -> false, "never"))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("interrupted while waiting for never");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
