package dev.satchel.core;

import java.util.Objects;
import java.util.Optional;

/**
 * A change of the principal (user name) a session belongs to: set to a name, or cleared.
 *
 * @param name the new principal, or empty if the session no longer belongs to anyone
 */
public record PrincipalChange(Optional<String> name) {

    /** Validates the change. */
    public PrincipalChange {
        Objects.requireNonNull(name, "name");
    }

    /** The session now belongs to {@code name}. */
    public static PrincipalChange to(String name) {
        return new PrincipalChange(Optional.of(name));
    }

    /** The session no longer belongs to anyone. */
    public static PrincipalChange cleared() {
        return new PrincipalChange(Optional.empty());
    }
}
