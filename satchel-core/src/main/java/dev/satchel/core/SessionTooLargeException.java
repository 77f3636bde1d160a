package dev.satchel.core;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * A session kept by the client does not fit in the cookies allowed. The message names each
 * attribute's encoded size, largest first, so the one to move to a server store is plain.
 */
public class SessionTooLargeException extends SessionException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception from the sealed size, the limit and the attributes' encoded sizes. */
    public SessionTooLargeException(SessionId sessionId, int sealedBytes, int limitBytes, Map<String, Integer> sizes) {
        super(
                sessionId,
                "session sealed to " + sealedBytes + " bytes, over the " + limitBytes + "-byte limit; attributes: "
                        + sizes.entrySet().stream()
                                .sorted(Map.Entry.<String, Integer>comparingByValue()
                                        .reversed())
                                .map(e -> e.getKey() + "=" + e.getValue() + " B")
                                .collect(Collectors.joining(", ")),
                null);
    }
}
