package dev.satchel.store.file;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's own sessions, held in memory and kept on its local disk, one file per session, so that a
 * restart or a deploy of a sticky node loses nothing: Tomcat's {@code PersistentManager} and {@code
 * FileStore}, done so that a crash cannot leave half a session. Reads are the memory store's; every
 * save and delete also writes or removes the session's file before it returns ({@link
 * SessionFiles}), and opening the store reads the folder back.
 *
 * <p>One file per session rather than an append-only log: a save rewrites one small file, nothing
 * needs compacting, and reclaiming an expired session removes its file without reading any other.
 * What a crash can lose depends on {@link Sync}:
 *
 * <ul>
 *   <li>{@link Sync#ALWAYS}: nothing that was acknowledged. A save returns after its file and the
 *       folder are forced to disk, so it costs a disk flush per save.
 *   <li>{@link Sync#NEVER}: what the operating system had not yet written when the machine went
 *       down, a few seconds at most on Linux. A crash of the process alone (SIGKILL, an out-of-memory
 *       kill) loses nothing, since the writes are in the kernel already. A session is never torn:
 *       its old file or its new one survives.
 * </ul>
 *
 * The folder is the node's alone: two processes on one folder would overwrite each other's
 * sessions. It is made readable by its owner only, since the files hold the sessions' data. Thread
 * safe.
 */
public final class FileSessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ConditionalSaveStore, ReportingStore {
    private static final Logger LOG = LoggerFactory.getLogger(FileSessionStore.class);
    private static final int STRIPES = 64;

    /** When a save's file reaches the disk. */
    public enum Sync {
        /** Before the save returns: a crash of the machine loses no acknowledged change. */
        ALWAYS,
        /** When the operating system writes it: a crash of the process loses nothing, of the machine a few seconds. */
        NEVER
    }

    /**
     * Where and how, as {@code --store file:} and {@code satchel.store=file:} give it: {@code DIR}, or
     * {@code DIR?sync=always} (the default) or {@code DIR?sync=never}.
     *
     * @param folder the folder
     * @param sync when a save reaches the disk
     */
    public record Location(Path folder, Sync sync) {
        /** Validates the location. */
        public Location {
            Objects.requireNonNull(folder, "folder");
            Objects.requireNonNull(sync, "sync");
        }

        /**
         * Reads {@code DIR[?sync=always|never]}.
         *
         * @throws IllegalArgumentException with what to write instead, for no folder, another
         *     option, or a folder that is not a path
         */
        public static Location parse(String spec) {
            String folder = spec;
            Sync sync = Sync.ALWAYS;
            int query = spec.indexOf('?');
            if (query >= 0) {
                folder = spec.substring(0, query);
                String option = spec.substring(query + 1).toLowerCase(java.util.Locale.ROOT);
                if (option.equals("sync=never")) {
                    sync = Sync.NEVER;
                } else if (!option.equals("sync=always")) {
                    throw new IllegalArgumentException(
                            "file:DIR takes ?sync=always (the default) or ?sync=never, not ?" + option);
                }
            }
            if (folder.isBlank()) {
                throw new IllegalArgumentException("file:DIR needs a folder, as file:/var/lib/satchel");
            }
            try {
                return new Location(Path.of(folder), sync);
            } catch (java.nio.file.InvalidPathException e) {
                throw new IllegalArgumentException("file:" + folder + " is not a path", e);
            }
        }
    }

    private final MemorySessionStore memory;
    private final SessionFiles files;
    private final boolean force;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
    private final AutoCloseable expiryFeed;
    private final LongAdder written = new LongAdder();
    private final LongAdder removed = new LongAdder();
    private final int restored;
    private final int skipped;
    /** Held while open: a second process on the folder would overwrite this one's sessions. */
    private final FileChannel lockFile;

    private final FileLock lock;

    private FileSessionStore(Builder b, FileChannel lockFile, FileLock lock) {
        this.lockFile = lockFile;
        this.lock = lock;
        this.files = new SessionFiles(b.folder);
        this.force = b.sync == Sync.ALWAYS;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
        MemorySessionStore.Builder mb =
                MemorySessionStore.builder().clock(b.clock).sweepInterval(b.sweepInterval);
        if (b.maxSessions > 0) {
            mb.maxSessions(b.maxSessions);
        }
        this.memory = mb.build();
        int[] counts = restore(b.clock.instant());
        this.restored = counts[0];
        this.skipped = counts[1];
        // An expired session's file goes when the sweep (or a read) reclaims it; no other is read.
        this.expiryFeed = memory.subscribe(event -> {
            if (event.type() == SessionEvent.Type.EXPIRED) {
                withLock(event.id(), Optional.empty(), () -> {
                    if (memory.load(event.id()).isEmpty()) {
                        removeQuietly(event.id());
                    }
                    return null;
                });
            }
        });
        LOG.info(
                "file store at {}: {} sessions restored{}",
                files.folder(),
                restored,
                skipped == 0 ? "" : ", " + skipped + " damaged files set aside");
    }

    /**
     * Starts a configuration over {@code folder}, which is created (readable by its owner only) if
     * it does not exist.
     */
    public static Builder builder(Path folder) {
        return new Builder(folder);
    }

    private int[] restore(Instant now) {
        int[] counts = new int[2];
        List<Path> found;
        try (Stream<Path> listing = Files.list(files.folder())) {
            found = listing.toList();
        } catch (IOException e) {
            throw new SessionStoreUnavailableException("cannot list " + files.folder() + ": " + e.getMessage(), e);
        }
        for (Path file : found) {
            String name = file.getFileName().toString();
            if (name.contains(SessionFiles.SUFFIX + ".tmp-")) {
                deleteQuietly(file); // a write a crash interrupted; the session's file is whole
                continue;
            }
            if (!name.endsWith(SessionFiles.SUFFIX)) {
                continue;
            }
            try {
                Optional<SessionRecord> record = SessionFiles.read(file);
                if (record.isEmpty()) {
                    continue;
                }
                if (record.get().isExpired(now)
                        || !file.equals(files.fileOf(record.get().id()))) {
                    deleteQuietly(file);
                    continue;
                }
                memory.replace(record.get());
                counts[0]++;
            } catch (IOException e) {
                counts[1]++;
                LOG.warn("setting aside {}: {}", file, e.getMessage());
                try {
                    Files.move(file, file.resolveSibling(name + ".damaged"));
                } catch (IOException ignored) {
                    deleteQuietly(file);
                }
            }
        }
        return counts;
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        return memory.load(id);
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        return withLock(changes.id(), changes.previousId(), () -> {
            Optional<SessionRecord> before = memory.load(changes.id());
            Optional<SessionRecord> beforeRename = changes.previousId().flatMap(memory::load);
            SaveOutcome outcome = memory.save(changes);
            try {
                switch (outcome) {
                    case CREATED, UPDATED -> {
                        Optional<SessionRecord> now = memory.load(changes.id());
                        if (now.isPresent()) {
                            write(now.get());
                        }
                        changes.previousId().ifPresent(this::remove);
                    }
                    case INVALIDATED, GONE -> {
                        if (changes.invalidated()) {
                            // Also when already gone here: a logout whose file a failed disk kept
                            // would come back at the next start, so a retry removes it.
                            remove(changes.id());
                            changes.previousId().ifPresent(this::remove);
                        }
                    }
                    case CONFLICT -> {
                        // nothing was written in memory, so nothing on disk
                    }
                }
            } catch (SessionStoreUnavailableException diskFailed) {
                if (outcome != SaveOutcome.INVALIDATED && outcome != SaveOutcome.GONE) {
                    // Not on disk, so not saved: memory goes back to what the disk holds.
                    restore(changes.id(), before);
                    changes.previousId().ifPresent(old -> restore(old, beforeRename));
                }
                throw diskFailed;
            }
            return outcome;
        });
    }

    @Override
    public boolean delete(SessionId id) {
        return withLock(id, Optional.empty(), () -> {
            boolean deleted = memory.delete(id);
            remove(id);
            return deleted;
        });
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        return memory.findByPrincipal(principal);
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return memory.subscribe(listener);
    }

    /** Reclaims every expired session now, and its file: what the background sweep does. */
    public int expireDue() {
        return memory.expireDue();
    }

    /**
     * {@code sessions_held} and {@code estimated_bytes} (the memory store's), {@code files_written},
     * {@code files_removed}, {@code sessions_restored} at opening and {@code files_set_aside} (damaged
     * ones found then).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>(memory.counters());
        counters.put("files_written", written.sum());
        counters.put("files_removed", removed.sum());
        counters.put("sessions_restored", (long) restored);
        counters.put("files_set_aside", (long) skipped);
        return counters;
    }

    @Override
    public void close() {
        try {
            expiryFeed.close();
        } catch (Exception e) {
            LOG.debug("closing the expiry feed failed", e);
        }
        memory.close();
        try {
            lock.release();
            lockFile.close();
        } catch (IOException e) {
            LOG.debug("releasing the folder's lock failed", e);
        }
    }

    private void write(SessionRecord record) {
        try {
            files.write(record, force);
            written.increment();
        } catch (UncheckedIOException e) {
            // Not saved where it must be: the request must not be told it was.
            throw new SessionStoreUnavailableException(e.getMessage(), e);
        }
    }

    private void remove(SessionId id) {
        try {
            files.remove(id, force);
            removed.increment();
        } catch (UncheckedIOException e) {
            throw new SessionStoreUnavailableException(e.getMessage(), e);
        }
    }

    private void restore(SessionId id, Optional<SessionRecord> before) {
        if (before.isPresent()) {
            memory.replace(before.get());
        } else {
            memory.delete(id);
        }
    }

    private void removeQuietly(SessionId id) {
        try {
            files.remove(id, false);
            removed.increment();
        } catch (UncheckedIOException e) {
            LOG.warn("cannot remove the file of an expired session: {}", e.getMessage());
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", file, e.getMessage());
        }
    }

    /** Holds the locks of {@code id} (and {@code other}) in a fixed order, so a save and its file agree. */
    private <T> T withLock(SessionId id, Optional<SessionId> other, java.util.function.Supplier<T> body) {
        int a = stripe(id);
        int b = other.map(this::stripe).orElse(a);
        ReentrantLock first = stripes[Math.min(a, b)];
        ReentrantLock second = stripes[Math.max(a, b)];
        first.lock();
        try {
            if (second != first) {
                second.lock();
            }
            try {
                return body.get();
            } finally {
                if (second != first) {
                    second.unlock();
                }
            }
        } finally {
            first.unlock();
        }
    }

    private int stripe(SessionId id) {
        return Math.floorMod(id.hashCode(), STRIPES);
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    /** Configures a {@link FileSessionStore}. Not thread-safe. */
    public static final class Builder {
        private final Path folder;
        private Sync sync = Sync.ALWAYS;
        private Clock clock = Clock.systemUTC();
        private Duration sweepInterval = MemorySessionStore.DEFAULT_SWEEP_INTERVAL;
        private long maxSessions;

        private Builder(Path folder) {
            this.folder = Objects.requireNonNull(folder, "folder");
        }

        /** When a save's file reaches the disk (default {@link Sync#ALWAYS}). */
        public Builder sync(Sync sync) {
            this.sync = Objects.requireNonNull(sync, "sync");
            return this;
        }

        /** The clock that decides expiry (default: system UTC). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How often expired sessions and their files are reclaimed; zero: only by {@link #expireDue}. */
        public Builder sweepInterval(Duration interval) {
            this.sweepInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /** At most this many sessions; new ones past it are refused (default: the memory store's). */
        public Builder maxSessions(long max) {
            if (max <= 0) {
                throw new IllegalArgumentException("maxSessions must be positive: " + max);
            }
            this.maxSessions = max;
            return this;
        }

        /**
         * Opens the store, reading back every session the folder holds.
         *
         * @throws SessionStoreUnavailableException if the folder cannot be made, read or written
         */
        public FileSessionStore build() {
            try {
                if (!Files.isDirectory(folder)) {
                    Files.createDirectories(folder);
                    try {
                        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
                    } catch (UnsupportedOperationException notPosix) {
                        // a file system without POSIX permissions: its own rules apply
                    }
                }
                if (!Files.isWritable(folder)) {
                    throw new IOException("not writable");
                }
            } catch (IOException e) {
                throw new SessionStoreUnavailableException(
                        "cannot use " + folder + " for sessions: " + e.getMessage(), e);
            }
            FileChannel lockFile = null;
            try {
                lockFile =
                        FileChannel.open(folder.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockFile.tryLock();
                if (lock == null) {
                    throw new OverlappingFileLockException();
                }
                try {
                    return new FileSessionStore(this, lockFile, lock);
                } catch (RuntimeException e) {
                    lock.release();
                    throw e;
                }
            } catch (OverlappingFileLockException taken) {
                closeQuietly(lockFile);
                throw new SessionStoreUnavailableException(
                        "another store has " + folder + " open: each node needs a folder of its own", null);
            } catch (IOException e) {
                closeQuietly(lockFile);
                throw new SessionStoreUnavailableException("cannot lock " + folder + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                closeQuietly(lockFile);
                throw e;
            }
        }
    }
}
