package dev.satchel.store.file;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The process {@link FileSessionStoreCrashTest} kills: saves as fast as it can and says so on
 * standard output after each save returns, as a node answers a request once its session is saved.
 * Prints {@code new ID} for each new session, and {@code count ID N} after each update of one
 * counter session.
 */
public final class CrashWriter {
    private CrashWriter() {}

    public static void main(String[] args) {
        FileSessionStore store = FileSessionStore.builder(Path.of(args[0]))
                .sync(FileSessionStore.Sync.valueOf(args[1]))
                .build();
        Instant now = Instant.now();
        SessionId counter = SessionId.random();
        store.save(ChangeSet.builder(counter, now, now.plus(Duration.ofHours(1)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .build());
        for (long n = 1; ; n++) {
            SessionId id = SessionId.random();
            store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMinutes(30))
                    .set("n", Long.toString(n).getBytes(StandardCharsets.UTF_8))
                    .build());
            System.out.println("new " + id.value() + " " + n);
            store.save(ChangeSet.builder(counter, now, now.plus(Duration.ofHours(1)))
                    .set("count", Long.toString(n).getBytes(StandardCharsets.UTF_8))
                    .build());
            System.out.println("count " + counter.value() + " " + n);
            System.out.flush();
        }
    }
}
