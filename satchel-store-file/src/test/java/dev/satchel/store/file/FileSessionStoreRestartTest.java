package dev.satchel.store.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the store is for: a store opened again on the same folder (a restarted node) holds what the
 * last one held, and no more: not what was invalidated, renamed away or expired, and not a file
 * damaged meanwhile.
 */
class FileSessionStoreRestartTest {
    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-06-01T10:00:00Z"));

    private FileSessionStore open() {
        return FileSessionStore.builder(dir.resolve("sessions"))
                .clock(clock)
                .sweepInterval(Duration.ZERO)
                .sync(FileSessionStore.Sync.NEVER)
                .build();
    }

    private SessionId create(FileSessionStore store, String cart, String user) {
        SessionId id = SessionId.random();
        Instant now = clock.instant();
        ChangeSet.Builder b = ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", cart.getBytes(StandardCharsets.UTF_8));
        if (user != null) {
            b.principal(PrincipalChange.to(user));
        }
        assertThat(store.save(b.build())).isEqualTo(SaveOutcome.CREATED);
        return id;
    }

    private List<Path> files() throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("sessions"))) {
            return s.filter(p -> !p.getFileName().toString().equals(".lock")).toList();
        }
    }

    @Test
    void aRestartedStore_holdsTheSessionsWithTheirAttributesTimesAndUsers() throws Exception {
        SessionId kept;
        SessionRecord before;
        try (FileSessionStore store = open()) {
            kept = create(store, "tea,cups", "alice");
            before = store.load(kept).orElseThrow();
        }
        try (FileSessionStore store = open()) {
            SessionRecord after = store.load(kept).orElseThrow();
            assertThat(new String(after.attributes().get("cart"), StandardCharsets.UTF_8))
                    .isEqualTo("tea,cups");
            assertThat(after.createdAt()).isEqualTo(before.createdAt());
            assertThat(after.lastAccessedAt()).isEqualTo(before.lastAccessedAt());
            assertThat(after.absoluteDeadline()).isEqualTo(before.absoluteDeadline());
            assertThat(after.maxInactiveInterval()).isEqualTo(before.maxInactiveInterval());
            assertThat(store.findByPrincipal("alice"))
                    .extracting(SessionRecord::id)
                    .containsExactly(kept);
            assertThat(store.counters()).containsEntry("sessions_restored", 1L);
        }
    }

    @Test
    void invalidated_renamedAway_andExpiredSessions_doNotComeBack() throws Exception {
        SessionId ended;
        SessionId renamedFrom;
        SessionId renamedTo = SessionId.random();
        SessionId expiring;
        try (FileSessionStore store = open()) {
            ended = create(store, "a", null);
            renamedFrom = create(store, "b", null);
            expiring = create(store, "c", null);
            SessionRecord r = store.load(ended).orElseThrow();
            assertThat(store.save(ChangeSet.builder(ended, r.createdAt(), r.absoluteDeadline())
                            .invalidated()
                            .build()))
                    .isEqualTo(SaveOutcome.INVALIDATED);
            SessionRecord s = store.load(renamedFrom).orElseThrow();
            assertThat(store.save(ChangeSet.builder(renamedFrom, s.createdAt(), s.absoluteDeadline())
                            .changeId(renamedTo)
                            .accessedAt(clock.instant())
                            .build()))
                    .isEqualTo(SaveOutcome.UPDATED);
            // keep the renamed one alive past the other's idle timeout
            clock.advance(Duration.ofMinutes(20));
            store.save(ChangeSet.builder(renamedTo, s.createdAt(), s.absoluteDeadline())
                    .accessedAt(clock.instant())
                    .build());
        }
        assertThat(files()).hasSize(2);
        clock.advance(Duration.ofMinutes(15)); // "c" is past its 30 minutes idle
        try (FileSessionStore store = open()) {
            assertThat(store.load(ended)).isEmpty();
            assertThat(store.load(renamedFrom)).isEmpty();
            assertThat(store.load(expiring)).isEmpty();
            assertThat(new String(
                            store.load(renamedTo).orElseThrow().attributes().get("cart"), StandardCharsets.UTF_8))
                    .isEqualTo("b");
        }
        assertThat(files()).as("the expired file was removed at opening").hasSize(1);
    }

    @Test
    void expiry_removesTheFile_withoutTouchingLiveOnes() throws Exception {
        try (FileSessionStore store = open()) {
            create(store, "x", null);
            clock.advance(Duration.ofMinutes(20));
            SessionId live = create(store, "y", null);
            clock.advance(Duration.ofMinutes(15));
            assertThat(store.expireDue()).isEqualTo(1);
            assertThat(files()).containsExactly(new SessionFiles(dir.resolve("sessions")).fileOf(live));
        }
    }

    @Test
    void aDamagedFile_isSetAside_andTheRestRestored() throws Exception {
        SessionId good;
        SessionId damaged;
        try (FileSessionStore store = open()) {
            good = create(store, "fine", null);
            damaged = create(store, "will be cut", null);
        }
        Path file = new SessionFiles(dir.resolve("sessions")).fileOf(damaged);
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        Files.writeString(dir.resolve("sessions").resolve("abc.session.tmp-1"), "a write a crash cut short");
        try (FileSessionStore store = open()) {
            assertThat(store.load(good)).isPresent();
            assertThat(store.load(damaged)).isEmpty();
            assertThat(store.counters()).containsEntry("files_set_aside", 1L);
        }
        assertThat(files())
                .extracting(p -> p.getFileName().toString())
                .anyMatch(n -> n.endsWith(".damaged"))
                .noneMatch(n -> n.contains(".tmp-"));
    }

    @Test
    void theFolder_isItsOwnersOnly_andItsFilesNameNoSessionId() throws Exception {
        SessionId id;
        try (FileSessionStore store = open()) {
            id = create(store, "x", null);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("sessions"))))
                .isEqualTo("rwx------");
        assertThat(files()).extracting(p -> p.getFileName().toString()).noneMatch(n -> n.contains(id.value()));
    }

    @Test
    void aFolderThatCannotBeMade_isReportedAtOpening() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a folder");
        assertThatThrownBy(
                        () -> FileSessionStore.builder(file.resolve("sessions")).build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot use");
    }

    @Test
    void aSecondStoreOnTheSameFolder_isRefused_untilTheFirstCloses() {
        try (FileSessionStore first = open()) {
            assertThatThrownBy(this::open)
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("each node needs a folder of its own");
        }
        open().close();
    }

    @Test
    void aSaveTheDiskRefuses_isNotSaved_inMemoryEither() throws Exception {
        try (FileSessionStore store = open()) {
            SessionId kept = create(store, "before", null);
            SessionRecord r = store.load(kept).orElseThrow();
            Path folder = dir.resolve("sessions");
            try (Stream<Path> s = Files.list(folder)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(folder); // the disk is gone from under the store
            assertThatThrownBy(() -> store.save(ChangeSet.builder(kept, r.createdAt(), r.absoluteDeadline())
                            .set("cart", "after".getBytes(StandardCharsets.UTF_8))
                            .build()))
                    .isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(new String(store.load(kept).orElseThrow().attributes().get("cart"), StandardCharsets.UTF_8))
                    .as("the refused change is not served either")
                    .isEqualTo("before");
            assertThatThrownBy(() -> create(store, "new", null)).isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(store.findByPrincipal("nobody")).isEmpty();
        }
    }
}
