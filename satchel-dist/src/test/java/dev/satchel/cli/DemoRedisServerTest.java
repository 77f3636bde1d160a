package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoRedisServerTest {

    @Test
    void acceptsSizesRedisReadsOfAtLeastAMegabyte() {
        assertThat(DemoRedisServer.isMemorySize("128mb")).isTrue();
        assertThat(DemoRedisServer.isMemorySize(" 1GB ")).isTrue();
        assertThat(DemoRedisServer.isMemorySize("1048576")).isTrue();
        assertThat(DemoRedisServer.isMemorySize("1024kb")).isTrue();
    }

    @Test
    void refusesWhatRedisWouldNotReadOrCouldNotLiveIn() {
        assertThat(DemoRedisServer.isMemorySize("1048575")).isFalse();
        assertThat(DemoRedisServer.isMemorySize("512kb")).isFalse();
        assertThat(DemoRedisServer.isMemorySize("lots")).isFalse();
        assertThat(DemoRedisServer.isMemorySize("-1mb")).isFalse();
        assertThat(DemoRedisServer.isMemorySize("99999999999gb")).isFalse();
        assertThat(DemoRedisServer.isMemorySize("")).isFalse();
        assertThat(DemoRedisServer.isMemorySize(null)).isFalse();
    }

    @Test
    void aBadSizeIsRefusedBeforeAnyProcessStarts(@TempDir Path logs) {
        assertThatThrownBy(() -> DemoRedisServer.start(logs, "lots"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lots");
    }
}
