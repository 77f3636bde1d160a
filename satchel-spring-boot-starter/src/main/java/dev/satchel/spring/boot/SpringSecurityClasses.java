package dev.satchel.spring.boot;

import org.springframework.util.ClassUtils;

/**
 * What Spring Security keeps in a session (its {@code SecurityContext}, the request saved for after
 * a login, a CSRF token, the last login's exception) is neither a record nor a plain value, so it
 * can only be stored with Java serialization. Spring Session stores it that way with no filter at
 * all; Satchel reads it back only through this allowlist: Spring Security's classes and the few JDK
 * classes they hold, within limits on depth, references and size. A value that holds any other
 * class (an OAuth2 claim of a type of its own) is refused when written, naming the class to add to
 * {@code satchel.codec.java-serialization}.
 */
final class SpringSecurityClasses {
    /** The allowlist, in {@link java.io.ObjectInputFilter} pattern syntax. */
    static final String ALLOWLIST = String.join(
            ";",
            "maxdepth=32",
            "maxrefs=100000",
            "maxarray=100000",
            "maxbytes=1048576",
            "org.springframework.security.**",
            "java.lang.String",
            "java.lang.String$CaseInsensitiveComparator",
            "java.lang.Boolean",
            "java.lang.Number",
            "java.lang.Integer",
            "java.lang.Long",
            "java.lang.Enum",
            // An AuthenticationException, kept after a failed login, with its stack trace.
            "java.lang.Throwable",
            "java.lang.Exception",
            "java.lang.RuntimeException",
            "java.lang.StackTraceElement",
            // An array is checked as its element type: collections read their elements into an
            // Object[]. Object itself is not Serializable, so this admits nothing else.
            "java.lang.Object",
            "java.util.ArrayList",
            "java.util.LinkedList",
            "java.util.HashMap",
            "java.util.LinkedHashMap",
            "java.util.TreeMap",
            "java.util.HashSet",
            "java.util.LinkedHashSet",
            "java.util.TreeSet",
            "java.util.Locale",
            "java.util.Collections$Unmodifiable*",
            "java.util.Collections$Empty*",
            "java.util.Collections$Singleton*",
            "java.util.ImmutableCollections$*",
            "java.util.CollSer",
            "java.time.Ser",
            "java.time.Instant");

    private static final String SECURITY_CONTEXT = "org.springframework.security.core.context.SecurityContext";

    private SpringSecurityClasses() {}

    /** Whether Spring Security is on the application's class path. */
    static boolean present(ClassLoader loader) {
        return ClassUtils.isPresent(SECURITY_CONTEXT, loader);
    }
}
