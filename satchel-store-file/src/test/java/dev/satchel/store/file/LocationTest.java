package dev.satchel.store.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** What {@code file:} values mean, and what is refused with a reason. */
class LocationTest {

    @Test
    void aFolder_syncsAlways_unlessToldNever() {
        assertThat(FileSessionStore.Location.parse("/var/lib/satchel"))
                .isEqualTo(new FileSessionStore.Location(Path.of("/var/lib/satchel"), FileSessionStore.Sync.ALWAYS));
        assertThat(FileSessionStore.Location.parse("rel/dir?sync=NEVER").sync()).isEqualTo(FileSessionStore.Sync.NEVER);
        assertThat(FileSessionStore.Location.parse("d?sync=always").sync()).isEqualTo(FileSessionStore.Sync.ALWAYS);
    }

    @Test
    void noFolder_orAnotherOption_isRefusedSayingWhatToWrite() {
        assertThatThrownBy(() -> FileSessionStore.Location.parse(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs a folder");
        assertThatThrownBy(() -> FileSessionStore.Location.parse("?sync=never")).hasMessageContaining("needs a folder");
        assertThatThrownBy(() -> FileSessionStore.Location.parse("d?fsync=1"))
                .hasMessageContaining("?sync=always (the default) or ?sync=never, not ?fsync=1");
        assertThatThrownBy(() -> FileSessionStore.Location.parse("bad\u0000path"))
                .hasMessageContaining("is not a path");
    }
}
