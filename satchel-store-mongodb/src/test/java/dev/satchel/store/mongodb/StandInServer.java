package dev.satchel.store.mongodb;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * mongo-java-server on a free port of this machine: a MongoDB wire-protocol server written in Java
 * (see {@link MongoStandInSessionStoreIT} for what it does and does not prove).
 *
 * <p>It calls itself MongoDB 4.0 (wire version 7), and the current driver refuses servers older than
 * 4.2 (wire version 8) at the handshake. The commands the store sends (find, update, delete,
 * createIndexes) are the same in both, so the stand-in is told to announce 4.2; nothing else
 * about it changes.
 */
final class StandInServer implements AutoCloseable {

    private static final MongoVersion ANNOUNCED = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 2, 0);
        }

        @Override
        public int getWireVersion() {
            return 8;
        }
    };

    private final MongoServer server;
    private final String uri;

    StandInServer() {
        this.server = new MongoServer(new MemoryBackend().version(ANNOUNCED));
        InetSocketAddress address = server.bind();
        this.uri = "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    /** {@code mongodb://HOST:PORT} of the running server. */
    String uri() {
        return uri;
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
