package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.jgroups.Address;
import org.jgroups.util.UUID;
import org.junit.jupiter.api.Test;

/** Where a conditional save goes when its decider says "not me" or "not yet". */
class DecisionsTest {
    private final Address self = UUID.randomUUID();
    private final Address joiner = UUID.randomUUID();

    @Test
    void aDeciderStillReceivingItsSessionsIsAskedAgainUntilItDecides() {
        AtomicInteger asked = new AtomicInteger();
        SaveOutcome outcome = Decisions.decide(
                () -> joiner,
                self,
                () -> {
                    throw new AssertionError("this node does not decide the session");
                },
                node -> asked.incrementAndGet() < 5 ? Optional.empty() : Optional.of(SaveOutcome.UPDATED));
        assertThat(outcome).isEqualTo(SaveOutcome.UPDATED);
        assertThat(asked).hasValue(5);
    }

    @Test
    void aDeciderThatNeverDecidesEndsInANamedFailureWithNothingApplied() {
        AtomicInteger asked = new AtomicInteger();
        assertThatThrownBy(() -> Decisions.decide(() -> joiner, self, Optional::empty, node -> {
                    asked.incrementAndGet();
                    return Optional.empty();
                }))
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("nothing was applied");
        assertThat(asked.get()).as("asked more than the two immediate tries").isGreaterThan(2);
    }

    @Test
    void theDeciderIsLookedUpAgainForEveryTry() {
        AtomicInteger lookups = new AtomicInteger();
        SaveOutcome outcome = Decisions.decide(
                () -> lookups.incrementAndGet() == 1 ? joiner : self,
                self,
                () -> Optional.of(SaveOutcome.CONFLICT),
                node -> Optional.empty());
        assertThat(outcome).isEqualTo(SaveOutcome.CONFLICT);
        assertThat(lookups).hasValue(2);
    }
}
