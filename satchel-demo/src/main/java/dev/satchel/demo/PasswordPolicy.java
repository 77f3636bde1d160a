package dev.satchel.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * NIST SP 800-63B style rules: at least 8 characters, up to 128, no composition rules, and not one
 * of the passwords attackers try first. Thread-safe.
 */
final class PasswordPolicy {
    static final int MIN_LENGTH = 8;
    static final int MAX_LENGTH = 128;

    private final Set<String> common;

    PasswordPolicy() {
        this.common = loadCommon();
    }

    /** Returns why the password is refused, or null if it is acceptable. */
    String problem(String password, String username) {
        int length = password.codePointCount(0, password.length());
        if (length < MIN_LENGTH) {
            return "password must be at least " + MIN_LENGTH + " characters";
        }
        if (length > MAX_LENGTH) {
            return "password must be at most " + MAX_LENGTH + " characters";
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (common.contains(lower)) {
            return "password is too common; choose another";
        }
        if (lower.equals(username.toLowerCase(Locale.ROOT))) {
            return "password must not be the user name";
        }
        return null;
    }

    private static Set<String> loadCommon() {
        Set<String> words = new HashSet<>();
        try (InputStream in = PasswordPolicy.class.getResourceAsStream("/common-passwords.txt")) {
            if (in == null) {
                throw new IllegalStateException("common-passwords.txt is missing from the demo jar");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = reader.readLine()) != null; ) {
                String word = line.strip();
                if (!word.isEmpty() && !word.startsWith("#")) {
                    words.add(word.toLowerCase(Locale.ROOT));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read common-passwords.txt", e);
        }
        return Set.copyOf(words);
    }
}
