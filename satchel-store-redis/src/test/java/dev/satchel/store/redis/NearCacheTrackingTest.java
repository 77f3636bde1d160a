package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** What Redis's push messages do to the near-cache, fed as RESP3 delivers them, without a server. */
class NearCacheTrackingTest {

    /** A push message whose byte strings are decoded by the listener's own decoder, as Lettuce does. */
    private record Push(String type, List<Object> raw) implements PushMessage {
        @Override
        public String getType() {
            return type;
        }

        @Override
        public List<Object> getContent() {
            return raw;
        }

        @Override
        public List<Object> getContent(Function<ByteBuffer, Object> decode) {
            return decodeAll(raw, decode);
        }

        private static List<Object> decodeAll(List<?> items, Function<ByteBuffer, Object> decode) {
            List<Object> out = new ArrayList<>();
            for (Object item : items) {
                if (item instanceof ByteBuffer b) {
                    out.add(decode.apply(b.duplicate()));
                } else if (item instanceof List<?> l) {
                    out.add(decodeAll(l, decode));
                } else {
                    out.add(item);
                }
            }
            return out;
        }
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Push invalidate(Object keys) {
        return new Push("invalidate", Arrays.asList(bytes("invalidate"), keys));
    }

    private static SessionRecord record() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        return new SessionRecord(
                SessionId.random(),
                now,
                now,
                Duration.ofMinutes(30),
                now.plusSeconds(3600),
                Map.of(),
                Optional.empty(),
                1);
    }

    private static NearCache cacheHolding(String... keys) {
        NearCache cache = new NearCache(100);
        cache.resume();
        for (String key : keys) {
            cache.afterRead(key, cache.beforeRead(key), cache.epoch(), record());
        }
        assertThat(cache.size()).isEqualTo(keys.length);
        return cache;
    }

    @Test
    void theKeysAnInvalidationLists_leave_andTheOthersStay() {
        NearCache cache = cacheHolding("s:{a}", "s:{b}", "s:{c}");
        PushListener listener = NearCacheTracking.invalidations(cache);
        listener.onPushMessage(invalidate(List.of(bytes("s:{a}"), bytes("s:{c}"))));
        assertThat(cache.peek("s:{a}")).isEmpty();
        assertThat(cache.peek("s:{c}")).isEmpty();
        assertThat(cache.peek("s:{b}")).isPresent();
    }

    @Test
    void anInvalidationWithoutKeys_aFlush_emptiesTheCache_whichThenFillsAgain() {
        NearCache cache = cacheHolding("s:{a}", "s:{b}");
        long epoch = cache.epoch();
        long inFlight = cache.beforeRead("s:{c}");
        NearCacheTracking.invalidations(cache).onPushMessage(invalidate(null));
        assertThat(cache.size()).isZero();
        cache.afterRead("s:{c}", inFlight, epoch, record());
        assertThat(cache.peek("s:{c}")).as("a read that straddled the flush").isEmpty();
        cache.afterRead("s:{a}", cache.beforeRead("s:{a}"), cache.epoch(), record());
        assertThat(cache.peek("s:{a}")).as("tracking is still on").isPresent();
    }

    @Test
    void otherPushMessages_leaveTheCacheAlone() {
        NearCache cache = cacheHolding("s:{a}");
        NearCacheTracking.invalidations(cache)
                .onPushMessage(new Push("message", List.of(bytes("message"), List.of(bytes("s:{a}")))));
        assertThat(cache.peek("s:{a}")).isPresent();
    }
}
