package dev.satchel.demo;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Argon2id at OWASP's minimum parameters (m=19 MiB, t=2, p=1), salted per user, stored as a PHC
 * string. Unknown users are checked against a dummy hash so that a login for a name that does not
 * exist costs as much as one that does.
 *
 * <p>Every hash holds 19 MiB for its duration, so a login flood is a memory flood: hashes run
 * behind a bound sized to the heap, with a short queue; beyond it they are refused with 503 and
 * {@code Retry-After} instead of running the node out of memory. Thread-safe.
 */
final class PasswordHasher {
    static final int MEMORY_KIB = 19 * 1024;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int HASH_BYTES = 32;
    private static final int SALT_BYTES = 16;

    /** The share of the heap hashing may hold; the rest is sessions, Jetty, JGroups and H2. */
    private static final int HEAP_SHARE_DIVISOR = 4;

    /** Callers that may wait for a permit, per permit: a burst is smoothed, a flood refused. */
    private static final int QUEUE_PER_PERMIT = 4;

    /** How long a queued caller waits: a few hashes' time, short of any client's patience. */
    private static final long MAX_WAIT_MILLIS = 2_000;

    private static final long RETRY_AFTER_SECONDS = 1;

    private final Argon2Function argon2 =
            Argon2Function.getInstance(MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES, Argon2.ID);
    private final Semaphore permits;
    private final int maxWaiting;
    private final AtomicInteger waiting = new AtomicInteger();
    private final String dummy;

    /** A hasher bounded by this JVM's maximum heap. */
    PasswordHasher() {
        this(Runtime.getRuntime().maxMemory());
    }

    PasswordHasher(long maxHeapBytes) {
        int concurrent = concurrentHashes(maxHeapBytes);
        this.permits = new Semaphore(concurrent, true);
        this.maxWaiting = concurrent * QUEUE_PER_PERMIT;
        this.dummy = hash("satchel-dummy-password-for-timing");
    }

    /** How many hashes fit in a quarter of the heap; at least one, or nobody could log in. */
    static int concurrentHashes(long maxHeapBytes) {
        long perHash = MEMORY_KIB * 1024L;
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxHeapBytes / HEAP_SHARE_DIVISOR / perHash));
    }

    /** @throws ApiException 503 when the node is already hashing all it can hold */
    String hash(String password) {
        acquire();
        try {
            return Password.hash(password)
                    .addRandomSalt(SALT_BYTES)
                    .with(argon2)
                    .getResult();
        } finally {
            permits.release();
        }
    }

    /** @throws ApiException 503 when the node is already hashing all it can hold */
    boolean matches(String password, String stored) {
        acquire();
        try {
            return Password.check(password, stored).with(argon2);
        } finally {
            permits.release();
        }
    }

    /** Spends the same work as a real check, for names that do not exist. */
    void burnDummyCheck(String password) {
        matches(password, dummy);
    }

    private void acquire() {
        if (permits.tryAcquire()) {
            return;
        }
        try {
            if (waiting.incrementAndGet() > maxWaiting || !permits.tryAcquire(MAX_WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw busy();
        } finally {
            waiting.decrementAndGet();
        }
    }

    private static ApiException busy() {
        return new ApiException(
                503, "busy", "the server is checking too many passwords; try again shortly", RETRY_AFTER_SECONDS);
    }
}
