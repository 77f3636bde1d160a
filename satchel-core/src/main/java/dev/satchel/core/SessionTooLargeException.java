package dev.satchel.core;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * A session does not fit where it is kept: in the cookies allowed, or in one store record (a
 * MongoDB document holds 16 MiB). The message names each attribute's encoded size, largest first,
 * so the one to shrink or move is plain.
 */
public class SessionTooLargeException extends SessionException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception from the sealed size, the limit and the attributes' encoded sizes. */
    public SessionTooLargeException(SessionId sessionId, int sealedBytes, int limitBytes, Map<String, Integer> sizes) {
        super(
                sessionId,
                "session sealed to " + sealedBytes + " bytes, over the " + limitBytes + "-byte limit; attributes: "
                        + describe(sizes),
                null);
    }

    /**
     * Creates the exception for a store whose record has a size limit, from what the store said
     * ({@code limit}) and the attributes' encoded sizes.
     */
    public SessionTooLargeException(SessionId sessionId, String limit, Map<String, Integer> sizes, Throwable cause) {
        super(sessionId, limit + "; attributes: " + describe(sizes), cause);
    }

    private static String describe(Map<String, Integer> sizes) {
        return sizes.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .map(e -> e.getKey() + "=" + e.getValue() + " B")
                .collect(Collectors.joining(", "));
    }
}
