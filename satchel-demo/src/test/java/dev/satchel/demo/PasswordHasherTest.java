package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordHasherTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void concurrentHashes_fitInAQuarterOfTheHeap_butNeverNone() {
        assertThat(PasswordHasher.concurrentHashes(256 * MIB)).isEqualTo(3); // 64 MiB / 19 MiB
        assertThat(PasswordHasher.concurrentHashes(1024 * MIB)).isEqualTo(13);
        assertThat(PasswordHasher.concurrentHashes(32 * MIB)).isEqualTo(1);
        assertThat(PasswordHasher.concurrentHashes(Long.MAX_VALUE)).isPositive();
    }
}
