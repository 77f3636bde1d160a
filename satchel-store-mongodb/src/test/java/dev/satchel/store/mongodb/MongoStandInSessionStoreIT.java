package dev.satchel.store.mongodb;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The MongoDB store's contract against mongo-java-server: a MongoDB wire-protocol server written
 * in Java, reached over a real socket by the real driver. It is a stand-in, not MongoDB: no MongoDB
 * server can be installed on the machines this is built on (it is not in Debian, and embedded
 * MongoDB downloads binaries at run time). What this proves: the store's commands, filters, update
 * operators, upserts and indexes as the driver sends them, and the store's own logic. What it does
 * not: the real server's matching and update semantics where the stand-in differs, TTL reclamation,
 * change streams, write concerns and failover on a replica set, authentication ({@code
 * MongoTlsStandInIT} covers the store's side of TLS). {@code
 * MongoSessionStoreIT} runs the same contract against a real MongoDB when {@code
 * SATCHEL_MONGODB_URI} names one.
 */
class MongoStandInSessionStoreIT extends MongoStoreContract {

    private static StandInServer server;

    @BeforeAll
    static void startServer() {
        server = new StandInServer();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Override
    protected String connectionString() {
        return server.uri();
    }
}
