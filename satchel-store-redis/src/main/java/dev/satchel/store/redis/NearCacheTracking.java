package dev.satchel.store.redis;

import dev.satchel.core.support.DaemonThreads;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.StringCodec;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a {@link NearCache} in step with Redis's server-assisted client-side caching: turns {@code
 * CLIENT TRACKING} on for the store's connection now and after every reconnect, drops the keys
 * Redis reports changed, and empties the cache whenever the connection drops, since invalidations
 * sent while it was down are lost.
 */
final class NearCacheTracking implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NearCacheTracking.class);

    private final StatefulRedisConnection<String, byte[]> connection;
    private final NearCache cache;
    private final boolean noLoop;
    /** Turns tracking back on after a reconnect, off Lettuce's event loop: the command needs it to answer. */
    private final ExecutorService retrack =
            Executors.newSingleThreadExecutor(DaemonThreads.named("satchel-redis-tracking"));

    /**
     * With validated hits, this node's own writes need not come back as invalidations ({@code
     * noLoop}): the store updates its entries itself, and a version check guards every hit. Relaxed
     * hits have no such guard, so there every write, this node's too, must invalidate.
     */
    private NearCacheTracking(StatefulRedisConnection<String, byte[]> connection, NearCache cache, boolean noLoop) {
        this.connection = connection;
        this.cache = cache;
        this.noLoop = noLoop;
    }

    /** Starts tracking for {@code connections}' one connection: standalone or Sentinel only. */
    static NearCacheTracking start(RedisConnections connections, NearCache cache, boolean noLoop) {
        StatefulRedisConnection<String, byte[]> c = connections
                .single()
                .orElseThrow(() -> new IllegalArgumentException(
                        "the near-cache needs one tracked connection: standalone or Sentinel only"));
        NearCacheTracking tracking = new NearCacheTracking(c, cache, noLoop);
        c.addListener(invalidations(cache));
        connections.client().addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                if (handler == c) {
                    try {
                        tracking.retrack.execute(tracking::enable);
                    } catch (RejectedExecutionException closed) {
                        // the store is closing: nothing to track any more
                    }
                }
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                if (handler == c) {
                    cache.suspend();
                }
            }
        });
        tracking.enable();
        return tracking;
    }

    /**
     * What {@code invalidate} push messages do to the cache: the keys listed go; a message without
     * a list means the server flushed its data, and everything goes.
     */
    static PushListener invalidations(NearCache cache) {
        return (PushMessage message) -> {
            if (!message.getType().equals("invalidate")) {
                return;
            }
            List<Object> content = message.getContent(StringCodec.UTF8::decodeKey);
            Object keys = content.size() > 1 ? content.get(1) : null;
            if (keys instanceof List<?> list) {
                list.forEach(k -> cache.invalidate(String.valueOf(k)));
            } else {
                cache.suspend();
                cache.resume();
            }
        };
    }

    private void enable() {
        try {
            TrackingArgs tracking = TrackingArgs.Builder.enabled();
            connection.sync().clientTracking(noLoop ? tracking.noloop() : tracking);
            cache.resume();
        } catch (RedisException e) {
            cache.suspend();
            LOG.warn(
                    "cannot turn on Redis client tracking ({}); the near-cache is off until it reconnects",
                    e.getMessage());
        }
    }

    @Override
    public void close() {
        retrack.shutdownNow();
    }
}
