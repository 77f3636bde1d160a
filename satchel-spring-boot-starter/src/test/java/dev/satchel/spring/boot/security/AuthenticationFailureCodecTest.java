package dev.satchel.spring.boot.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.codec.DefaultAttributeCodec;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.InternalAuthenticationServiceException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.core.AuthenticationException;

/**
 * A failed login whose cause the allowlist refuses (the user database was down) is stored as its
 * class and message, so the login page says why instead of failing with a 500.
 */
class AuthenticationFailureCodecTest {
    private static final String SPRING_SECURITY_ONLY = "maxdepth=20;org.springframework.security.**;java.lang.String;"
            + "java.lang.Throwable;java.lang.Exception;java.lang.RuntimeException;java.lang.StackTraceElement;"
            + "java.lang.Object;java.util.Collections$Unmodifiable*;java.util.ArrayList;java.util.Collections$Empty*";
    private final DefaultAttributeCodec plain = DefaultAttributeCodec.builder()
            .javaSerialization(SPRING_SECURITY_ONLY)
            .build();
    private final AuthenticationFailureCodec codec = new AuthenticationFailureCodec(plain);

    /** An application's own kind of failure. */
    static final class TooManyTries extends AuthenticationException {
        private static final long serialVersionUID = 1L;

        TooManyTries(String message) {
            super(message);
        }
    }

    @Test
    void aFailureCausedByTheDatabase_isStoredAsItsClassAndMessage() {
        InternalAuthenticationServiceException failure =
                new InternalAuthenticationServiceException("user store unavailable", new SQLException("down"));
        assertThatThrownBy(() -> plain.encode("SPRING_SECURITY_LAST_EXCEPTION", failure))
                .as("without the wrapper: refused for its cause")
                .isInstanceOf(AttributeEncodingException.class)
                .hasMessageContaining("java.sql.SQLException");
        byte[] stored = codec.encode("SPRING_SECURITY_LAST_EXCEPTION", failure);
        Object back = codec.decode("SPRING_SECURITY_LAST_EXCEPTION", stored);
        assertThat(back).isInstanceOf(InternalAuthenticationServiceException.class);
        assertThat(((Throwable) back).getMessage()).isEqualTo("user store unavailable");
        assertThat(((Throwable) back).getCause()).isNull();
        assertThat(((Throwable) back).getStackTrace()).isEmpty();
    }

    @Test
    void aStackTraceIsNotKeptInTheSession() {
        LockedException locked = new LockedException("User account is locked");
        assertThat(codec.encode("e", locked).length).isLessThan(plain.encode("e", locked).length / 2);
        assertThat(codec.decode("e", codec.encode("e", locked))).isInstanceOf(LockedException.class);
    }

    @Test
    void anApplicationsOwnFailure_becomesAServiceExceptionWithItsMessage() {
        Object back = codec.decode("e", codec.encode("e", new TooManyTries("try again in a minute")));
        assertThat(back).isExactlyInstanceOf(AuthenticationServiceException.class);
        assertThat(((Throwable) back).getMessage()).isEqualTo("try again in a minute");
    }

    @Test
    void otherValues_passThrough() {
        assertThat(codec.decode("n", codec.encode("n", 42))).isEqualTo(42);
    }
}
