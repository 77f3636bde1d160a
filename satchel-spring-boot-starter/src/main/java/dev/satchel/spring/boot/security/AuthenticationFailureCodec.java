package dev.satchel.spring.boot.security;

import dev.satchel.core.codec.AttributeCodec;
import java.util.Objects;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.core.AuthenticationException;

/**
 * Stores a failed login's {@link AuthenticationException}, which Spring Security keeps in the
 * session for the login page to show, as a copy with its class and message only: no cause, no
 * stack trace, no authentication request. Its cause may be any class (a database's, an LDAP
 * server's, an HTTP client's), which the allowlist rightly refuses, and the page would then fail
 * with a 500 instead of saying "bad credentials"; and a stack trace is kilobytes in every session
 * that failed a login. A class outside Spring Security becomes an {@link
 * AuthenticationServiceException} with the same message. Everything else goes to {@code codec}
 * unchanged.
 */
public final class AuthenticationFailureCodec implements AttributeCodec {
    private static final String SPRING_SECURITY = "org.springframework.security.";

    private final AttributeCodec codec;

    /** Wraps {@code codec}. */
    public AuthenticationFailureCodec(AttributeCodec codec) {
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    @Override
    public byte[] encode(String name, Object value) {
        return codec.encode(name, value instanceof AuthenticationException failure ? bare(failure) : value);
    }

    @Override
    public Object decode(String name, byte[] encoded) {
        return codec.decode(name, encoded);
    }

    /** The same class and message, and nothing else. */
    static AuthenticationException bare(AuthenticationException failure) {
        AuthenticationException copy = null;
        if (failure.getClass().getName().startsWith(SPRING_SECURITY)) {
            try {
                copy = failure.getClass().getConstructor(String.class).newInstance(failure.getMessage());
            } catch (ReflectiveOperationException | RuntimeException noSuchConstructor) {
                copy = null;
            }
        }
        if (copy == null) {
            copy = new AuthenticationServiceException(failure.getMessage());
        }
        copy.setStackTrace(new StackTraceElement[0]);
        return copy;
    }
}
