package dev.satchel.cookie;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encryption at rest for any store: attribute values are sealed with Tink's AES-256-GCM (the keyset
 * format, rotation and retirement of {@link SealedCookieSessions}) before they reach the store, and
 * opened after a load, so Redis, the database, a file or a peer node's memory holds only ciphertext.
 * Ids, timestamps, versions and the principal index stay readable, so the store can still expire,
 * index and lock sessions. Each value is bound to its attribute's name (associated data), so values
 * cannot be swapped between attributes; it is not bound to the session id, which changes at login.
 *
 * <p>The wrapper implements every interface the wrapped store does (principal index, events,
 * conditional saves, counters, and any of its own), so nothing that checks for a capability sees a
 * difference. A conditional save compares opened values: the wrapper reads the session, opens what
 * the change set expects and, if it matches, hands the store the sealed bytes it read as the
 * expectation, so the store's own atomic check still decides against every concurrent save. That
 * costs one more load per conditional save; plain saves cost nothing but the sealing.
 *
 * <p>A value that does not open (a retired key, a value written before sealing was switched on, or
 * one changed in the store) is left out of the loaded session and counted, as the filter drops an
 * attribute it cannot decode: the user loses that attribute, never the session or the request.
 */
public final class SealedAttributes {
    /** The environment variable {@code satchel node} reads an at-rest keyset from (Tink JSON). */
    public static final String KEYSET_VARIABLE = "SATCHEL_AT_REST_KEYSET";

    private static final Logger LOG = LoggerFactory.getLogger(SealedAttributes.class);
    private static final String CONTEXT = "satchel-at-rest|v1|";

    private final Aead aead;
    private final AtomicLong unopenable = new AtomicLong();

    private SealedAttributes(Aead aead) {
        this.aead = aead;
    }

    /**
     * Wraps {@code store} so that every attribute value is sealed with {@code keysetJson} (Tink JSON,
     * as {@link SealedCookieSessions#generateKeyset()} makes and {@link SealedCookieSessions#rotate}
     * rotates). The result implements the same interfaces as {@code store}; closing it closes the store.
     *
     * @throws IllegalArgumentException if the keyset does not parse or holds no AEAD key
     */
    public static SessionStore wrap(SessionStore store, String keysetJson) {
        SealedAttributes sealing;
        try {
            AeadConfig.register();
            KeysetHandle keyset = TinkJsonProtoKeysetFormat.parseKeyset(keysetJson, InsecureSecretKeyAccess.get());
            sealing = new SealedAttributes(keyset.getPrimitive(RegistryConfiguration.get(), Aead.class));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the at-rest keyset: " + e.getMessage(), e);
        }
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c = store.getClass(); c != null; c = c.getSuperclass()) {
            collectInterfaces(c, interfaces);
        }
        return (SessionStore) Proxy.newProxyInstance(
                store.getClass().getClassLoader(), interfaces.toArray(Class<?>[]::new), sealing.handler(store));
    }

    private static void collectInterfaces(Class<?> c, Set<Class<?>> into) {
        for (Class<?> i : c.getInterfaces()) {
            if (java.lang.reflect.Modifier.isPublic(i.getModifiers()) && into.add(i)) {
                collectInterfaces(i, into);
            }
        }
    }

    @SuppressWarnings("unchecked") // the store's own declared return types
    private InvocationHandler handler(SessionStore store) {
        return (proxy, method, args) -> switch (method.getName()) {
            case "load" -> ((Optional<SessionRecord>) call(store, method, args)).map(this::open);
            case "save" -> save(store, (ChangeSet) args[0]);
            case "findByPrincipal" -> ((List<SessionRecord>) call(store, method, args))
                    .stream().map(this::open).toList();
            case "subscribe" -> call(store, method, new Object[] {opening((SessionListener) args[0])});
            case "counters" -> withOwnCounters((Map<String, Long>) call(store, method, args));
            case "toString" -> "sealed values of " + store;
            case "hashCode" -> System.identityHashCode(proxy);
            case "equals" -> proxy == args[0];
            default -> call(store, method, args);
        };
    }

    private static Object call(SessionStore store, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(store, args);
        } catch (InvocationTargetException e) {
            throw e.getCause(); // the store's own exception, as the caller expects it
        }
    }

    private SessionStore.SaveOutcome save(SessionStore store, ChangeSet changes) {
        Map<String, byte[]> sealed = new HashMap<>();
        changes.setAttributes().forEach((name, value) -> sealed.put(name, seal(name, value)));
        Map<String, ExpectedValue> expectations = Map.of();
        if (!changes.expectations().isEmpty()) {
            Optional<SessionRecord> current = store.load(changes.id());
            if (current.isEmpty()) {
                return SessionStore.SaveOutcome.GONE;
            }
            expectations = new HashMap<>();
            for (Map.Entry<String, ExpectedValue> e : changes.expectations().entrySet()) {
                Optional<byte[]> stored =
                        Optional.ofNullable(current.get().attributes().get(e.getKey()));
                if (!e.getValue().matches(stored.flatMap(bytes -> tryOpen(e.getKey(), bytes)))) {
                    return SessionStore.SaveOutcome.CONFLICT;
                }
                expectations.put(e.getKey(), ExpectedValue.of(stored)); // the store re-checks these bytes
            }
        }
        return store.save(new ChangeSet(
                changes.id(),
                changes.previousId(),
                changes.created(),
                changes.invalidated(),
                changes.createdAt(),
                changes.absoluteDeadline(),
                changes.accessedAt(),
                changes.maxInactiveInterval(),
                sealed,
                changes.removedAttributes(),
                changes.principal(),
                expectations));
    }

    private SessionRecord open(SessionRecord r) {
        Map<String, byte[]> opened = new HashMap<>();
        r.attributes().forEach((name, value) -> tryOpen(name, value).ifPresent(plain -> opened.put(name, plain)));
        return new SessionRecord(
                r.id(),
                r.createdAt(),
                r.lastAccessedAt(),
                r.maxInactiveInterval(),
                r.absoluteDeadline(),
                opened,
                r.principal(),
                r.version());
    }

    private SessionListener opening(SessionListener listener) {
        return event -> listener.onEvent(
                new SessionEvent(event.type(), event.id(), event.lastState().map(this::open)));
    }

    private Map<String, Long> withOwnCounters(Map<String, Long> counters) {
        Map<String, Long> all = new HashMap<>(counters);
        all.put("unopenable_values", unopenable.get());
        return Map.copyOf(all);
    }

    private byte[] seal(String name, byte[] value) {
        try {
            return aead.encrypt(value, associatedData(name));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal attribute '" + name + "'", e);
        }
    }

    private Optional<byte[]> tryOpen(String name, byte[] sealed) {
        try {
            return Optional.of(aead.decrypt(sealed, associatedData(name)));
        } catch (GeneralSecurityException e) {
            long n = unopenable.incrementAndGet();
            if (Long.bitCount(n) == 1) { // 1, 2, 4, 8...: seen, without flooding the log
                LOG.warn(
                        "a value of attribute '{}' does not open with the at-rest keyset (retired key, written"
                                + " before sealing, or changed in the store); left out ({} so far)",
                        name,
                        n);
            }
            return Optional.empty();
        }
    }

    private static byte[] associatedData(String name) {
        return (CONTEXT + name).getBytes(StandardCharsets.UTF_8);
    }
}
