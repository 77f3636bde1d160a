package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The near-cache's bookkeeping, with the interleavings made to happen rather than hoped for. */
class NearCacheTest {
    private static final String KEY = "s:{k}";

    private static SessionRecord record(long version) {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new SessionRecord(
                SessionId.random(),
                now,
                now,
                Duration.ofMinutes(30),
                now.plus(Duration.ofHours(8)),
                Map.of(),
                Optional.empty(),
                version);
    }

    /**
     * Entries whose next put first lets an invalidation of that key run to its end: the
     * invalidation lands after the read's ticket was checked and before its record is cached.
     */
    private static final class InvalidatedOnPut extends ConcurrentHashMap<String, SessionRecord> {
        NearCache cache;
        boolean armed = true;

        @Override
        public SessionRecord put(String key, SessionRecord value) {
            if (armed) {
                armed = false;
                cache.invalidate(key);
            }
            return super.put(key, value);
        }
    }

    @Test
    void anInvalidationLandingJustBeforeARead_isCached_wins() {
        InvalidatedOnPut entries = new InvalidatedOnPut();
        NearCache cache = new NearCache(100, entries);
        entries.cache = cache;
        cache.resume();
        long epoch = cache.epoch();
        long ticket = cache.beforeRead(KEY);
        cache.afterRead(KEY, ticket, epoch, record(1)); // read before the change; invalidated meanwhile
        assertThat(entries.armed).as("the invalidation ran").isFalse();
        assertThat(cache.get(KEY))
                .as("what a relaxed hit would serve, with no round trip")
                .isEmpty();
        assertThat(cache.tickets()).isZero();
    }

    @Test
    void aReadThatCachesNothing_stillGivesItsTicketBack() {
        NearCache cache = new NearCache(1, new ConcurrentHashMap<>());
        cache.resume();
        cache.afterRead("other", cache.beforeRead("other"), cache.epoch(), record(1)); // fills the cache
        cache.afterRead(KEY, cache.beforeRead(KEY), cache.epoch(), record(1)); // full: not cached
        cache.release(KEY, cache.beforeRead(KEY)); // nothing read: an absent key or an error
        assertThat(cache.size()).isEqualTo(1);
        assertThat(cache.tickets()).isZero();
    }

    @Test
    void aLostConnection_withdrawsEveryTicket_soAReadStartedBeforeItCachesNothing() {
        NearCache cache = new NearCache(100);
        cache.resume();
        long epoch = cache.epoch();
        long ticket = cache.beforeRead(KEY);
        cache.suspend(); // invalidations sent while the connection is down are lost
        cache.resume(); // tracking is on again for the new connection
        cache.afterRead(KEY, ticket, epoch, record(1));
        assertThat(cache.size())
                .as("entries cached from a read that straddled the reconnect")
                .isZero();
        assertThat(cache.tickets()).isZero();
    }

    @Test
    void withoutTracking_nothingIsCachedOrServed() {
        NearCache cache = new NearCache(100);
        cache.afterRead(KEY, cache.beforeRead(KEY), cache.epoch(), record(1));
        assertThat(cache.get(KEY)).isEmpty();
        assertThat(cache.size()).isZero();
        assertThat(cache.tickets()).isZero();
    }

    @Test
    void aLaterReadOfTheSameKey_takesTheTicket_andTheEarlierOneCachesNothing() {
        NearCache cache = new NearCache(100);
        cache.resume();
        long epoch = cache.epoch();
        long first = cache.beforeRead(KEY);
        long second = cache.beforeRead(KEY);
        cache.afterRead(KEY, first, epoch, record(1));
        assertThat(cache.peek(KEY))
                .as("the earlier read, whose ticket was replaced")
                .isEmpty();
        cache.afterRead(KEY, second, epoch, record(2));
        assertThat(cache.peek(KEY)).map(SessionRecord::version).contains(2L);
        assertThat(cache.tickets()).isZero();
    }

    @Test
    void hitsAndMisses_areCounted_andPeekCountsNeither() {
        NearCache cache = new NearCache(100);
        cache.resume();
        assertThat(cache.get(KEY)).isEmpty();
        cache.afterRead(KEY, cache.beforeRead(KEY), cache.epoch(), record(1));
        assertThat(cache.get(KEY)).isPresent();
        assertThat(cache.get(KEY)).isPresent();
        cache.peek(KEY);
        assertThat(cache.hits()).isEqualTo(2);
        assertThat(cache.misses()).isEqualTo(1);
    }
}
