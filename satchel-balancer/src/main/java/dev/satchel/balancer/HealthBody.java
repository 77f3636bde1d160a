package dev.satchel.balancer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A health answer's body, kept up to a limit: a node that streams without end costs the checker
 * no more than the limit, and what was read so far is still parsed (or found not to parse).
 */
final class HealthBody implements HttpResponse.BodySubscriber<byte[]> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int limit;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    HealthBody(int limit) {
        this.limit = limit;
    }

    /** {@code store.sessions_held} of a health answer, when it is JSON and holds a count. */
    static OptionalLong sessionsHeld(byte[] body) {
        try {
            JsonNode held = JSON.readTree(body).path("store").path("sessions_held");
            return held.canConvertToLong() && held.asLong() >= 0
                    ? OptionalLong.of(held.asLong())
                    : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty(); // not JSON, or cut at the limit: the node just says nothing
        }
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        for (ByteBuffer b : buffers) {
            int take = Math.min(b.remaining(), limit - kept.size());
            byte[] chunk = new byte[take];
            b.get(chunk);
            kept.write(chunk, 0, take);
        }
        if (kept.size() >= limit) {
            subscription.cancel();
            result.complete(kept.toByteArray());
        }
    }

    @Override
    public void onError(Throwable failure) {
        result.completeExceptionally(failure); // an answer cut short fails the check, as before
    }

    @Override
    public void onComplete() {
        result.complete(kept.toByteArray());
    }
}
