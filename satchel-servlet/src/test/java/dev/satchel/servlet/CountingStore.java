package dev.satchel.servlet;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real memory store behind a decorator that counts calls and can be told to fail, the way a
 * store that lost its server does. It tests the filter, not the store.
 */
final class CountingStore implements PrincipalIndexedStore, ObservableSessionStore, ConditionalSaveStore {
    final MemorySessionStore delegate;
    final AtomicInteger loads = new AtomicInteger();
    final List<ChangeSet> saves = new CopyOnWriteArrayList<>();
    volatile boolean down;
    /** Answers every conditional save with CONFLICT, as if other requests always came first. */
    volatile boolean alwaysConflict;
    /** Ends the session just before the next conditional save, as a logout racing an update would. */
    volatile boolean endBeforeConditionalSave;

    CountingStore(MemorySessionStore delegate) {
        this.delegate = delegate;
    }

    private void check() {
        if (down) {
            throw new SessionStoreUnavailableException("store is down (injected)", null);
        }
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        check();
        loads.incrementAndGet();
        return delegate.load(id);
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        check();
        saves.add(changes);
        if (alwaysConflict && !changes.expectations().isEmpty()) {
            return SaveOutcome.CONFLICT;
        }
        if (endBeforeConditionalSave && !changes.expectations().isEmpty()) {
            endBeforeConditionalSave = false;
            delegate.delete(changes.id());
        }
        return delegate.save(changes);
    }

    @Override
    public boolean delete(SessionId id) {
        check();
        return delegate.delete(id);
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        check();
        return delegate.findByPrincipal(principal);
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return delegate.subscribe(listener);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
