package dev.satchel.store.mongodb;

import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The MongoDB store's contract against a real MongoDB, run only when {@code SATCHEL_MONGODB_URI}
 * names one (for example {@code mongodb://127.0.0.1:27017}); it writes to the database {@code
 * satchel_test}. JUnit reports it as skipped, with this reason, where the variable is not set.
 */
@EnabledIfEnvironmentVariable(
        named = "SATCHEL_MONGODB_URI",
        matches = "mongodb(\\+srv)?://.+",
        disabledReason = "no real MongoDB: set SATCHEL_MONGODB_URI to run the contract against one")
class MongoSessionStoreIT extends MongoStoreContract {

    @Override
    protected String connectionString() {
        return System.getenv("SATCHEL_MONGODB_URI");
    }
}
