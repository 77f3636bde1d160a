package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The builder refuses contradictory options before it connects: every URI here has no server
 * behind it, so an attempt to connect would fail as "unavailable" instead.
 */
class RedisSessionStoreBuilderTest {
    private static final String NOWHERE = "redis://127.0.0.1:1";

    @Test
    void theDefaultWaitTimeout_fitsInTheDefaultTimeout() {
        assertThat(RedisSessionStore.DEFAULT_WAIT_FOR_REPLICAS_TIMEOUT).isLessThan(RedisSessionStore.DEFAULT_TIMEOUT);
    }

    @Test
    void aWaitAsLongAsTheTimeout_isRefused() {
        assertThatThrownBy(() -> RedisSessionStore.builder(NOWHERE)
                        .timeout(Duration.ofMillis(500))
                        .waitForReplicas(1)
                        .waitForReplicasTimeout(Duration.ofMillis(500))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("WAIT timeout");
    }

    @Test
    void aNearCacheOnRedisCluster_isRefused() {
        assertThatThrownBy(() -> RedisSessionStore.builder("redis-cluster://127.0.0.1:1")
                        .nearCache(10)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("standalone or Sentinel only");
    }

    @Test
    void badValues_areRefusedWhenSet() {
        RedisSessionStore.Builder b = RedisSessionStore.builder(NOWHERE);
        assertThatThrownBy(() -> b.timeout(Duration.ZERO)).hasMessageContaining("timeout must be positive");
        assertThatThrownBy(() -> b.timeout(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.waitForReplicasTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.waitForReplicas(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.nearCache(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.keyPrefix("{x}")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RedisSessionStore.builder("localhost:6379"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
