package dev.satchel.core;

/**
 * An attribute value cannot be stored because the codec does not accept its type. Thrown when the
 * application sets the attribute, so the mistake surfaces where it was made.
 */
public class AttributeEncodingException extends SessionException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception naming the attribute and the rejected type. */
    public AttributeEncodingException(String attribute, Class<?> type, String reason, Throwable cause) {
        super("cannot store attribute '" + attribute + "' of type " + type.getName() + ": " + reason, cause);
    }
}
