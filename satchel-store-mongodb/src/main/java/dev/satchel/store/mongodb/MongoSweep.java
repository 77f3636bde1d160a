package dev.satchel.store.mongodb;

import com.mongodb.client.model.Filters;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.DaemonThreads;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds expired sessions through the expiry index and deletes each exactly as it was read, in
 * bounded batches, by hand ({@link #run}) or on a background timer. Every node may sweep at once:
 * a document another node deleted or changed meanwhile is simply not deleted here.
 */
final class MongoSweep implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MongoSweep.class);

    private final MongoSessionStore store;
    private final int batchSize;
    private final int maxBatches;
    private final Optional<ScheduledExecutorService> timer;

    MongoSweep(MongoSessionStore store, MongoSettings settings) {
        this.store = store;
        this.batchSize = settings.sweepBatchSize();
        this.maxBatches = settings.sweepMaxBatches();
        if (settings.sweepInBackground()) {
            ScheduledExecutorService t =
                    Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-mongodb-sweep"));
            long every = settings.sweepInterval().toMillis();
            t.scheduleWithFixedDelay(this::runQuietly, every, every, TimeUnit.MILLISECONDS);
            this.timer = Optional.of(t);
        } else {
            this.timer = Optional.empty();
        }
    }

    /** Deletes what is expired now, at most {@code maxBatches} batches of {@code batchSize}. */
    int run() {
        int deleted = 0;
        for (int batch = 0; batch < maxBatches; batch++) {
            Date now = new Date(store.clock().millis());
            List<Document> due = store.call("an expiry sweep", () -> store.collection()
                    .find(Filters.lte(SessionDocuments.EXPIRES_AT, now))
                    .limit(batchSize)
                    .into(new ArrayList<>()));
            for (Document read : due) {
                Optional<SessionRecord> record = MongoSessionStore.readable(read);
                if (record.isPresent() && !record.get().isExpired(now.toInstant())) {
                    store.repairExpiry(read, record.get()); // the times decide; the field follows
                    continue;
                }
                if (store.reclaim(read, record)) {
                    deleted++;
                }
            }
            if (due.size() < batchSize) {
                break;
            }
        }
        return deleted;
    }

    private void runQuietly() {
        try {
            run();
        } catch (SessionStoreUnavailableException e) {
            LOG.warn("expiry sweep skipped: {}", e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("expiry sweep failed", e);
        }
    }

    @Override
    public void close() {
        timer.ifPresent(ScheduledExecutorService::shutdownNow);
    }
}
