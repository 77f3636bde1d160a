package dev.satchel.store.jdbc;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.DaemonThreads;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reclaims expired sessions through the expiry index, in bounded batches, on the node holding the
 * {@link SweepLease}: by hand ({@link #run}) or on a background timer.
 */
final class ExpirySweep implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExpirySweep.class);

    private final SessionDatabase database;
    private final Clock clock;
    private final SweepLease lease;
    private final int batchSize;
    private final int maxBatches;
    private final Consumer<SessionId> onExpired;
    private final LongAdder leaseBusy = new LongAdder();
    private volatile Optional<ScheduledExecutorService> timer = Optional.empty();

    /**
     * @param batchSize rows one sweep statement deletes at most
     * @param maxBatches statements one run makes at most, so a backlog is worked off over runs
     * @param onExpired told of each session this sweep deleted
     */
    ExpirySweep(
            SessionDatabase database,
            Clock clock,
            SweepLease lease,
            int batchSize,
            int maxBatches,
            Consumer<SessionId> onExpired) {
        this.database = database;
        this.clock = clock;
        this.lease = lease;
        this.batchSize = batchSize;
        this.maxBatches = maxBatches;
        this.onExpired = onExpired;
    }

    /**
     * Deletes the sessions expired now if this node holds the lease, taking it if it is free.
     *
     * @return the sessions this run deleted; 0 if another node holds the lease
     */
    int run() {
        long now = clock.millis();
        if (!database.withConnection(c -> lease.tryTake(c, now))) {
            leaseBusy.increment();
            return 0;
        }
        Dialect dialect = database.dialect();
        int total = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            List<SessionId> expired = database.withConnection(c -> {
                try (PreparedStatement s = c.prepareStatement(dialect.sweepBatch())) {
                    dialect.bindSweep(s, now, batchSize);
                    List<SessionId> ids = new ArrayList<>();
                    try (ResultSet rs = s.executeQuery()) { // DELETE ... RETURNING answers with rows
                        while (rs.next()) {
                            SessionId.parse(rs.getString(1)).ifPresent(ids::add);
                        }
                    }
                    return ids;
                }
            });
            expired.forEach(onExpired);
            total += expired.size();
            if (expired.size() < batchSize) {
                break;
            }
        }
        return total;
    }

    /** Runs that found the lease held by another node. */
    long leaseBusy() {
        return leaseBusy.sum();
    }

    /**
     * Runs every {@code interval} from now on, the first run at a random point of the second half of
     * the first interval, so that nodes started together do not all try at once.
     */
    void startInBackground(Duration interval) {
        ScheduledExecutorService executor =
                Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-jdbc-sweeper"));
        long period = interval.toMillis();
        long firstDelay = period / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, period / 2));
        executor.scheduleWithFixedDelay(this::runLogged, firstDelay, period, TimeUnit.MILLISECONDS);
        timer = Optional.of(executor);
    }

    private void runLogged() {
        try {
            int swept = run();
            if (swept > 0) {
                LOG.debug("swept {} expired sessions", swept);
            }
        } catch (RuntimeException e) {
            LOG.warn("session sweep failed, will retry: {}", e.getMessage());
        }
    }

    /** Stops the timer and hands the lease to another node now, not when it runs out. */
    @Override
    public void close() {
        timer.ifPresent(ScheduledExecutorService::shutdownNow);
        try {
            database.withConnection(lease::release);
        } catch (SessionStoreUnavailableException e) {
            LOG.debug("could not release the sweep lease: {}", e.getMessage());
        }
    }
}
