package dev.satchel.core.codec;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.SessionDataException;

/**
 * Turns attribute values into bytes and back. Values cross the wire and outlive deploys as bytes,
 * so a codec must be safe to decode from untrusted storage. Implementations are thread-safe.
 */
public interface AttributeCodec {

    /**
     * Encodes one attribute value.
     *
     * @throws AttributeEncodingException if the value's type is not accepted
     */
    byte[] encode(String name, Object value);

    /**
     * Decodes one attribute value.
     *
     * @throws SessionDataException if the bytes cannot be decoded (corrupt, or a type that no longer
     *     exists after a deploy); callers drop the attribute rather than fail the request
     */
    Object decode(String name, byte[] encoded);
}
