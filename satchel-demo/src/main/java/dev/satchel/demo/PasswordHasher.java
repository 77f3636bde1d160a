package dev.satchel.demo;

import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;

/**
 * Argon2id at OWASP's minimum parameters (m=19 MiB, t=2, p=1), salted per user, stored as a PHC
 * string. Unknown users are checked against a dummy hash so that a login for a name that does not
 * exist costs as much as one that does. Thread-safe.
 */
final class PasswordHasher {
    private static final int MEMORY_KIB = 19 * 1024;
    private static final int ITERATIONS = 2;
    private static final int PARALLELISM = 1;
    private static final int HASH_BYTES = 32;
    private static final int SALT_BYTES = 16;

    private final Argon2Function argon2 =
            Argon2Function.getInstance(MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES, Argon2.ID);
    private final String dummy;

    PasswordHasher() {
        this.dummy = hash("satchel-dummy-password-for-timing");
    }

    String hash(String password) {
        return Password.hash(password).addRandomSalt(SALT_BYTES).with(argon2).getResult();
    }

    boolean matches(String password, String stored) {
        return Password.check(password, stored).with(argon2);
    }

    /** Spends the same work as a real check, for names that do not exist. */
    void burnDummyCheck(String password) {
        matches(password, dummy);
    }
}
