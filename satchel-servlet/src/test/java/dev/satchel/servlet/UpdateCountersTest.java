package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class UpdateCountersTest {

    @Test
    void retriesAndGiveUps_areCountedInTotal_andPerAttribute() {
        UpdateCounters counters = new UpdateCounters();
        counters.applied();
        counters.retried("cart");
        counters.retried("cart");
        counters.retried("wishlist");
        counters.gaveUp("cart");

        Map<String, Long> snapshot = counters.snapshot();

        assertThat(snapshot)
                .containsEntry("atomic_updates", 1L)
                .containsEntry("atomic_update_retries", 3L)
                .containsEntry("atomic_update_conflicts", 1L)
                .containsEntry("atomic_update_retries.cart", 2L)
                .containsEntry("atomic_update_retries.wishlist", 1L)
                .containsEntry("atomic_update_conflicts.cart", 1L)
                .doesNotContainKey("atomic_update_conflicts.wishlist");
    }

    /** Names are the application's: a flood of distinct names must not grow the map without end. */
    @Test
    void namesPastTheCap_shareOneCounter() {
        UpdateCounters counters = new UpdateCounters();
        for (int i = 0; i < UpdateCounters.MAX_NAMES + 100; i++) {
            counters.retried("attribute-" + i);
            counters.gaveUp("attribute-" + i);
        }

        Map<String, Long> snapshot = counters.snapshot();

        assertThat(snapshot.keySet().stream().filter(k -> k.startsWith("atomic_update_retries.")))
                .hasSize(UpdateCounters.MAX_NAMES + 1);
        assertThat(snapshot)
                .containsEntry("atomic_update_retries." + UpdateCounters.OTHER, 100L)
                .containsEntry("atomic_update_conflicts." + UpdateCounters.OTHER, 100L)
                .containsEntry("atomic_update_retries", (long) UpdateCounters.MAX_NAMES + 100);
    }
}
