package dev.satchel.store.mongodb;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.bson.Document;

/**
 * What a built {@link MongoSessionStore} runs with: the collection (indexes made), the client to
 * close if the store made it, and the sweep's settings. Immutable.
 */
record MongoSettings(
        MongoCollection<Document> collection,
        Optional<MongoClient> ownClient,
        Clock clock,
        boolean sweepInBackground,
        Duration sweepInterval,
        int sweepBatchSize,
        int sweepMaxBatches) {}
