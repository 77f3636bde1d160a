package dev.satchel.store.file;

import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** The contract every store keeps, on a real folder, every save forced to disk. */
class FileSessionStoreTest extends SessionStoreContract {

    @Override
    protected SessionStore createStore(Clock clock) {
        try {
            Path folder = Files.createTempDirectory("satchel-file-store");
            return FileSessionStore.builder(folder.resolve("sessions"))
                    .clock(clock)
                    .sweepInterval(Duration.ZERO)
                    .sync(FileSessionStore.Sync.ALWAYS)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        ((FileSessionStore) store).expireDue();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }
}
