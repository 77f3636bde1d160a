package dev.satchel.cookie;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * The bytes sealed into a cookie: a session record and the time it was sealed, compressed. Only
 * bytes that passed authentication reach {@link #decode}, but it is written as if they had not:
 * every length is bounded and every failure is an empty answer, never an exception.
 */
final class SealedPayload {
    private static final byte FORMAT = 1;
    /** Bound on the inflated size: a sealed session is a few KB; this stops a decompression bomb. */
    static final int MAX_INFLATED = 256 * 1024;

    private SealedPayload() {}

    /** The record as sealed, with the instant it was sealed (for "log out everywhere"). */
    record Opened(SessionRecord record, Instant sealedAt) {}

    static byte[] encode(SessionRecord r, Instant sealedAt) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.write(Base64.getUrlDecoder().decode(r.id().value()));
            out.writeLong(sealedAt.toEpochMilli());
            out.writeLong(r.createdAt().toEpochMilli());
            out.writeLong(r.lastAccessedAt().toEpochMilli());
            out.writeLong(r.maxInactiveInterval().toMillis());
            out.writeLong(r.absoluteDeadline().toEpochMilli());
            out.writeLong(r.version());
            writeString(out, r.principal().orElse(""));
            out.writeBoolean(r.principal().isPresent());
            out.writeInt(r.attributes().size());
            for (Map.Entry<String, byte[]> e : r.attributes().entrySet()) {
                writeString(out, e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        return deflate(bytes.toByteArray());
    }

    static Optional<Opened> decode(byte[] compressed) {
        Optional<byte[]> raw = inflate(compressed);
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(raw.get()))) {
            if (in.readByte() != FORMAT) {
                return Optional.empty();
            }
            byte[] sid = in.readNBytes(32);
            Optional<SessionId> id = sid.length == 32
                    ? SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(sid))
                    : Optional.empty();
            if (id.isEmpty()) {
                return Optional.empty();
            }
            Instant sealedAt = Instant.ofEpochMilli(in.readLong());
            Instant created = Instant.ofEpochMilli(in.readLong());
            Instant accessed = Instant.ofEpochMilli(in.readLong());
            Duration idle = Duration.ofMillis(in.readLong());
            Instant deadline = Instant.ofEpochMilli(in.readLong());
            long version = in.readLong();
            String principal = readString(in);
            boolean hasPrincipal = in.readBoolean();
            int count = in.readInt();
            if (count < 0 || count > raw.get().length) {
                return Optional.empty();
            }
            Map<String, byte[]> attributes = new HashMap<>();
            for (int i = 0; i < count; i++) {
                String name = readString(in);
                int length = in.readInt();
                if (length < 0 || length > in.available()) {
                    return Optional.empty();
                }
                attributes.put(name, in.readNBytes(length));
            }
            if (in.available() != 0) {
                return Optional.empty();
            }
            return Optional.of(new Opened(
                    new SessionRecord(
                            id.get(),
                            created,
                            accessed,
                            idle,
                            deadline,
                            attributes,
                            hasPrincipal ? Optional.of(principal) : Optional.empty(),
                            version),
                    sealedAt));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // truncated or inconsistent: no session
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("bad string length " + length);
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    // One (de)compressor per thread, reset between uses: creating zlib state costs more than using it.
    private static final ThreadLocal<Deflater> DEFLATERS = ThreadLocal.withInitial(Deflater::new);
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(Inflater::new);

    private static byte[] deflate(byte[] raw) {
        Deflater deflater = DEFLATERS.get();
        deflater.reset();
        try {
            deflater.setInput(raw);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 2 + 16);
            byte[] buffer = new byte[1024];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return out.toByteArray();
        } finally {
            deflater.reset();
        }
    }

    private static Optional<byte[]> inflate(byte[] compressed) {
        Inflater inflater = INFLATERS.get();
        inflater.reset();
        try {
            inflater.setInput(compressed);
            ByteArrayOutputStream out = new ByteArrayOutputStream(compressed.length * 3 + 16);
            byte[] buffer = new byte[1024];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    return Optional.empty(); // truncated
                }
                out.write(buffer, 0, n);
                if (out.size() > MAX_INFLATED) {
                    return Optional.empty();
                }
            }
            return Optional.of(out.toByteArray());
        } catch (DataFormatException e) {
            return Optional.empty();
        } finally {
            inflater.reset();
        }
    }
}
