package dev.satchel.core.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.SessionDataException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The default codec: safe to decode from untrusted storage.
 *
 * <ul>
 *   <li>Strings, ints, longs, booleans, doubles and {@code byte[]} use a compact binary form.
 *   <li>Lists, sets and maps with string keys, holding only those types, nested, become JSON.
 *   <li>Records become JSON bound to the record's class. No default typing is ever enabled, so the
 *       stored bytes cannot name a class to instantiate other than the record itself.
 *   <li>Java serialization is off. When enabled it runs behind an {@link ObjectInputFilter}
 *       allowlist that ends in "reject everything else".
 * </ul>
 *
 * <p>Thread-safe and immutable.
 */
public final class DefaultAttributeCodec implements AttributeCodec {

    private static final DefaultAttributeCodec DEFAULT = builder().build();
    private static final TypeReference<List<Object>> LIST_OF_ANY = new TypeReference<>() {};

    private final ObjectMapper json;
    private final ClassLoader classLoader;
    private final List<String> recordPackages;
    private final Optional<ObjectInputFilter> javaSerialization;

    private DefaultAttributeCodec(Builder builder) {
        this.classLoader = builder.classLoader;
        this.recordPackages = List.copyOf(builder.recordPackages);
        this.javaSerialization = Optional.ofNullable(builder.javaFilter);
        this.json = JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .build();
    }

    /** The codec with default settings: no Java serialization, records from any package. */
    public static DefaultAttributeCodec defaults() {
        return DEFAULT;
    }

    /** Starts a codec configuration. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public byte[] encode(String name, Object value) {
        Objects.requireNonNull(value, "value");
        if (value instanceof String s) {
            return withTag(Tag.STRING, s.getBytes(StandardCharsets.UTF_8));
        }
        if (value instanceof Integer i) {
            return ByteBuffer.allocate(5).put(Tag.INT).putInt(i).array();
        }
        if (value instanceof Long l) {
            return ByteBuffer.allocate(9).put(Tag.LONG).putLong(l).array();
        }
        if (value instanceof Boolean b) {
            return new byte[] {Tag.BOOLEAN, (byte) (b ? 1 : 0)};
        }
        if (value instanceof Double d) {
            return ByteBuffer.allocate(9).put(Tag.DOUBLE).putDouble(d).array();
        }
        if (value instanceof byte[] bytes) {
            return withTag(Tag.BYTES, bytes);
        }
        if (value instanceof Set<?> set && JsonShapes.isPlain(set)) {
            return withTag(Tag.SET, writeJson(name, set));
        }
        if ((value instanceof List<?> || value instanceof Map<?, ?>) && JsonShapes.isPlain(value)) {
            return withTag(Tag.JSON, writeJson(name, value));
        }
        if (value.getClass().isRecord()) {
            return encodeRecord(name, value);
        }
        if (javaSerialization.isPresent() && value instanceof Serializable) {
            byte[] encoded = withTag(Tag.JAVA, serialize(name, value));
            checkReadable(name, value, encoded);
            return encoded;
        }
        throw new AttributeEncodingException(
                name,
                value.getClass(),
                "supported are String, Integer, Long, Boolean, Double, byte[], records, and lists, sets"
                        + " and maps of plain values; use a record or enable Java serialization",
                null);
    }

    @Override
    public Object decode(String name, byte[] encoded) {
        if (encoded == null || encoded.length == 0) {
            throw new SessionDataException("attribute '" + name + "' is empty", null);
        }
        try {
            return switch (encoded[0]) {
                case Tag.STRING -> new String(encoded, 1, encoded.length - 1, StandardCharsets.UTF_8);
                case Tag.INT -> (int) bigEndian(encoded, 4);
                case Tag.LONG -> bigEndian(encoded, 8);
                case Tag.BOOLEAN -> bigEndian(encoded, 1) != 0;
                case Tag.DOUBLE -> Double.longBitsToDouble(bigEndian(encoded, 8));
                case Tag.BYTES -> Arrays.copyOfRange(encoded, 1, encoded.length);
                case Tag.JSON -> json.readValue(encoded, 1, encoded.length - 1, Object.class);
                case Tag.SET -> new LinkedHashSet<Object>(json.readValue(encoded, 1, encoded.length - 1, LIST_OF_ANY));
                case Tag.RECORD -> decodeRecord(name, ByteBuffer.wrap(encoded, 1, encoded.length - 1));
                case Tag.JAVA -> deserialize(name, encoded);
                default -> throw new SessionDataException(
                        "attribute '" + name + "' has unknown type tag " + encoded[0], null);
            };
        } catch (IOException | RuntimeException e) {
            if (e instanceof SessionDataException sde) {
                throw sde;
            }
            throw new SessionDataException("attribute '" + name + "' cannot be decoded: " + e.getMessage(), e);
        }
    }

    /** Reads the {@code size} bytes after the tag as one big-endian number; they must be all there is. */
    private static long bigEndian(byte[] encoded, int size) {
        if (encoded.length - 1 != size) {
            throw new IllegalArgumentException("expected " + size + " bytes, found " + (encoded.length - 1));
        }
        long value = 0;
        for (int i = 1; i <= size; i++) {
            value = (value << 8) | (encoded[i] & 0xff);
        }
        return value;
    }

    private byte[] encodeRecord(String name, Object value) {
        byte[] className = value.getClass().getName().getBytes(StandardCharsets.UTF_8);
        byte[] body = writeJson(name, value);
        return ByteBuffer.allocate(3 + className.length + body.length)
                .put(Tag.RECORD)
                .putShort((short) className.length)
                .put(className)
                .put(body)
                .array();
    }

    private Object decodeRecord(String name, ByteBuffer buf) throws IOException {
        int nameLength = Short.toUnsignedInt(buf.getShort());
        if (nameLength == 0 || nameLength > buf.remaining()) {
            throw new IllegalArgumentException("bad record class name length " + nameLength);
        }
        String className = new String(buf.array(), buf.position(), nameLength, StandardCharsets.UTF_8);
        int bodyStart = buf.position() + nameLength;
        Class<?> type;
        try {
            // Not initialised: nothing of the named class runs before we know it is a permitted record.
            type = Class.forName(className, false, classLoader);
        } catch (ClassNotFoundException e) {
            throw new SessionDataException(
                    "attribute '" + name + "' holds a record of a class that no longer exists: " + className, e);
        }
        if (!type.isRecord() || !isAllowedRecordPackage(className)) {
            throw new SessionDataException(
                    "attribute '" + name + "' names a class that is not a permitted record: " + className, null);
        }
        return json.readValue(buf.array(), bodyStart, buf.limit() - bodyStart, type);
    }

    private boolean isAllowedRecordPackage(String className) {
        if (recordPackages.isEmpty()) {
            return true;
        }
        for (String prefix : recordPackages) {
            if (className.startsWith(prefix + ".")) {
                return true;
            }
        }
        return false;
    }

    private byte[] writeJson(String name, Object value) {
        try {
            return json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new AttributeEncodingException(name, value.getClass(), "JSON mapping failed: " + e.getMessage(), e);
        }
    }

    private static byte[] serialize(String name, Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        } catch (IOException e) {
            throw new AttributeEncodingException(name, value.getClass(), "Java serialization failed", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a value just serialized back through the allowlist, so that a value the allowlist would
     * refuse is refused now, naming the class, rather than written and then silently dropped by the
     * next request that loads it.
     */
    private void checkReadable(String name, Object value, byte[] encoded) {
        ObjectInputFilter allowlist = javaSerialization.orElseThrow();
        String[] refused = {null};
        ObjectInputFilter recording = info -> {
            ObjectInputFilter.Status status = allowlist.checkInput(info);
            if (status == ObjectInputFilter.Status.REJECTED && refused[0] == null) {
                refused[0] = info.serialClass() == null
                        ? "a graph past the limits"
                        : info.serialClass().getName();
            }
            return status;
        };
        try {
            deserialize(name, encoded, recording);
        } catch (IOException | RuntimeException e) {
            String why = refused[0] == null
                    ? "it does not read back: " + e.getMessage()
                    : "it holds " + refused[0] + ", which the Java serialization allowlist does not admit";
            throw new AttributeEncodingException(name, value.getClass(), why, e);
        }
    }

    private Object deserialize(String name, byte[] encoded) throws IOException {
        ObjectInputFilter filter = javaSerialization.orElseThrow(() -> new SessionDataException(
                "attribute '" + name + "' was written with Java serialization, which is disabled", null));
        return deserialize(name, encoded, filter);
    }

    private Object deserialize(String name, byte[] encoded, ObjectInputFilter filter) throws IOException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(encoded, 1, encoded.length - 1)) {
            @Override
            protected Class<?> resolveClass(java.io.ObjectStreamClass desc) throws IOException, ClassNotFoundException {
                return Class.forName(desc.getName(), false, classLoader);
            }
        }) {
            in.setObjectInputFilter(filter);
            return in.readObject();
        } catch (ClassNotFoundException e) {
            throw new SessionDataException("attribute '" + name + "' names a missing class", e);
        }
    }

    private static byte[] withTag(byte tag, byte[] payload) {
        byte[] out = new byte[payload.length + 1];
        out[0] = tag;
        System.arraycopy(payload, 0, out, 1, payload.length);
        return out;
    }

    /** Configures a {@link DefaultAttributeCodec}. Not thread-safe. */
    public static final class Builder {
        private ClassLoader classLoader = DefaultAttributeCodec.class.getClassLoader();
        private final List<String> recordPackages = new ArrayList<>();
        private ObjectInputFilter javaFilter;

        private Builder() {}

        /** The class loader that resolves record and serialized classes (default: Satchel's own). */
        public Builder classLoader(ClassLoader loader) {
            this.classLoader = Objects.requireNonNull(loader, "loader");
            return this;
        }

        /**
         * Restricts decodable records to these packages (and their subpackages). Without any, every
         * record class is accepted.
         */
        public Builder recordPackages(String... packages) {
            recordPackages.addAll(Arrays.asList(packages));
            return this;
        }

        /**
         * Enables Java serialization for {@link Serializable} values that have no other encoding,
         * decoded behind an allowlist in {@link ObjectInputFilter} pattern syntax, for example {@code
         * "com.example.cart.*;java.util.*"}. Anything the pattern does not allow is rejected.
         *
         * @throws IllegalArgumentException if the pattern is empty or malformed
         */
        public Builder javaSerialization(String allowlistPattern) {
            if (allowlistPattern == null || allowlistPattern.isBlank()) {
                throw new IllegalArgumentException("Java serialization needs a non-empty allowlist pattern");
            }
            String pattern = allowlistPattern.strip();
            if (!pattern.endsWith("!*")) {
                pattern = pattern + (pattern.endsWith(";") ? "" : ";") + "!*";
            }
            this.javaFilter = ObjectInputFilter.Config.createFilter(pattern);
            return this;
        }

        /** Builds the codec. */
        public DefaultAttributeCodec build() {
            return new DefaultAttributeCodec(this);
        }
    }
}
