package dev.satchel.spring.boot;

import org.springframework.util.ClassUtils;

/**
 * What Spring Security keeps in a session (its {@code SecurityContext}, the request saved for after
 * a login, a CSRF token, the last login's exception) is neither a record nor a plain value, so it
 * can only be stored with Java serialization. Spring Session stores it that way with no filter at
 * all; Satchel reads it back only through this allowlist: Spring Security's classes and the few JDK
 * classes they hold, within limits on depth, references and size. A value that holds any other
 * class is refused when written, naming the class to add to {@code
 * satchel.codec.java-serialization}.
 *
 * <p>An OpenID Connect login holds its issuer as a {@code java.net.URL}, so it needs {@code
 * java.net.URL} added. Know what that admits: with the {@code HashMap} already here, a session
 * forged in the store can make a node look a host name up in DNS as it reads it (the "URLDNS"
 * gadget): no code runs, but the lookup reaches out. Add it only where the store is trusted.
 */
final class SpringSecurityClasses {
    /** The allowlist, in {@link java.io.ObjectInputFilter} pattern syntax. */
    static final String ALLOWLIST = String.join(
            ";",
            // Deep enough for a SecurityContext (about 8 levels), a saved request or an OIDC
            // token's claims; shallow enough that a forged graph of nested sets cannot make a
            // read cost 2^depth hash codes.
            "maxdepth=20",
            "maxrefs=10000",
            "maxarray=10000",
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
