package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AddressBucketsTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));

    @Test
    void take_allowsTheBurst_thenOnePerRefill_andSaysHowLongToWait() {
        AddressBuckets buckets = new AddressBuckets(3, 2, 100, clock);
        for (int i = 0; i < 3; i++) {
            assertThat(buckets.take("198.51.100.7")).isZero();
        }
        assertThat(buckets.take("198.51.100.7")).isEqualTo(Duration.ofMillis(500));
        assertThat(buckets.take("198.51.100.8")).as("another address").isZero();
        clock.advance(Duration.ofMillis(500));
        assertThat(buckets.take("198.51.100.7")).isZero();
        assertThat(buckets.take("198.51.100.7")).isPositive();
    }

    @Test
    void table_neverGrowsPastItsBound_andUnknownAddressesShareTheOverflowBucket() {
        AddressBuckets buckets = new AddressBuckets(2, 1, 10, clock);
        for (int i = 0; i < 10_000; i++) {
            buckets.take("10.0." + (i / 256) + "." + (i % 256));
        }
        assertThat(buckets.tracked()).isEqualTo(10);
        assertThat(buckets.take("192.0.2.1"))
                .as("the overflow bucket, emptied by the flood of fresh addresses")
                .isPositive();
        assertThat(buckets.take("10.0.0.0"))
                .as("an address tracked before the table filled")
                .isZero();
    }

    @Test
    void table_dropsRefilledBuckets_whenItNeedsRoom() {
        AddressBuckets buckets = new AddressBuckets(2, 1, 10, clock);
        for (int i = 0; i < 10; i++) {
            buckets.take("10.0.0." + i);
        }
        clock.advance(Duration.ofSeconds(5));
        assertThat(buckets.take("192.0.2.1")).isZero();
        assertThat(buckets.tracked()).isEqualTo(1);
    }

    @Test
    void key_groupsIpv6ByTheSlash64_andLeavesAnythingElseAlone() {
        assertThat(AddressBuckets.key("2001:db8:1:2:aaaa::1")).isEqualTo("2001:db8:1:2::/64");
        assertThat(AddressBuckets.key("[2001:DB8:1:2:ffff:ffff:ffff:ffff]")).isEqualTo("2001:db8:1:2::/64");
        assertThat(AddressBuckets.key("2001:db8::")).isEqualTo("2001:db8:0:0::/64");
        assertThat(AddressBuckets.key("::ffff:192.0.2.1")).isEqualTo("0:0:0:0::/64");
        assertThat(AddressBuckets.key("192.0.2.1")).isEqualTo("192.0.2.1");
        assertThat(AddressBuckets.key("2001:db8::1::2")).isEqualTo("2001:db8::1::2");
        assertThat(AddressBuckets.key("+1:2:3:4:5:6:7:8")).isEqualTo("+1:2:3:4:5:6:7:8");
        assertThat(AddressBuckets.key("1:2:3")).isEqualTo("1:2:3");
        assertThat(AddressBuckets.key("")).isEmpty();
    }
}
