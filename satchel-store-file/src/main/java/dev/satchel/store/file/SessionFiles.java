package dev.satchel.store.file;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32;

/**
 * One session, one file: the format, and writing it so that a crash leaves either the old file or
 * the new one, never a part of either. A file is written whole to a temporary name in the same
 * folder, forced to disk when asked, and renamed over the old one (an atomic rename on every POSIX
 * file system); the folder is then forced too, so the rename itself survives a power cut. A file's
 * name is a hash of the session id: the id is a credential, and a listing of the folder must not
 * give it away. Every file ends with a CRC-32 of what precedes it, so a file damaged outside
 * Satchel is refused on reading, not half-read.
 */
final class SessionFiles {
    static final String SUFFIX = ".session";
    private static final int MAGIC = 0x53415443; // "SATC"
    private static final byte VERSION = 1;
    /** Far above any session the filter lets through; a larger file is damaged. */
    static final int MAX_FILE_BYTES = 64 * 1024 * 1024;

    private final Path folder;

    SessionFiles(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    /** The file of {@code id}. */
    Path fileOf(SessionId id) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(id.value().getBytes(StandardCharsets.US_ASCII));
            return folder.resolve(HexFormat.of().formatHex(digest, 0, 20) + SUFFIX);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /**
     * Writes {@code record} in place of whatever file it had.
     *
     * @param force whether the file and the folder are forced to disk before this returns
     */
    void write(SessionRecord record, boolean force) {
        byte[] bytes = encode(record);
        Path target = fileOf(record.id());
        Path temporary = folder.resolve(target.getFileName() + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (FileChannel out =
                    FileChannel.open(temporary, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                if (force) {
                    out.force(true);
                }
            }
            move(temporary, target);
            if (force) {
                forceFolder();
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException ignored) {
                // the original failure is what matters
            }
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system cannot rename atomically, so a crash could leave half a session", e);
        }
    }

    /** Removes the file of {@code id}, if there is one. */
    void remove(SessionId id, boolean force) {
        try {
            if (Files.deleteIfExists(fileOf(id)) && force) {
                forceFolder();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the file of a session: " + e.getMessage(), e);
        }
    }

    private void forceFolder() throws IOException {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /**
     * Reads one file.
     *
     * @return empty if the file is gone meanwhile
     * @throws IOException if it is damaged: a wrong checksum, a wrong format, a wrong length
     */
    static Optional<SessionRecord> read(Path file) throws IOException {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_FILE_BYTES) {
                throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
        if (bytes.length < 8) {
            throw new IOException("too short to be a session");
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        if (crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong()) {
            throw new IOException("its checksum does not match: written in part, or changed since");
        }
        return Optional.of(decode(new java.io.ByteArrayInputStream(bytes, 0, bytes.length - 8), bytes.length));
    }

    static byte[] encode(SessionRecord r) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            out.writeInt(MAGIC);
            out.writeByte(VERSION);
            out.writeUTF(r.id().value());
            instant(out, r.createdAt());
            instant(out, r.lastAccessedAt());
            out.writeLong(r.maxInactiveInterval().getSeconds());
            out.writeInt(r.maxInactiveInterval().getNano());
            instant(out, r.absoluteDeadline());
            out.writeBoolean(r.principal().isPresent());
            if (r.principal().isPresent()) {
                out.writeUTF(r.principal().get());
            }
            out.writeLong(r.version());
            out.writeInt(r.attributes().size());
            for (Map.Entry<String, byte[]> a : r.attributes().entrySet()) {
                out.writeUTF(a.getKey());
                out.writeInt(a.getValue().length);
                out.write(a.getValue());
            }
            CRC32 crc = new CRC32();
            out.flush();
            crc.update(buffer.toByteArray());
            out.writeLong(crc.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot happen in memory", e);
        }
        return buffer.toByteArray();
    }

    private static SessionRecord decode(InputStream bytes, int limit) throws IOException {
        DataInputStream in = new DataInputStream(bytes);
        if (in.readInt() != MAGIC) {
            throw new IOException("not a session file");
        }
        byte version = in.readByte();
        if (version != VERSION) {
            throw new IOException("written by another version of the format: " + version);
        }
        SessionId id = SessionId.parse(in.readUTF()).orElseThrow(() -> new IOException("holds no valid id"));
        Instant created = readInstant(in);
        Instant accessed = readInstant(in);
        Duration maxInactive = Duration.ofSeconds(in.readLong(), in.readInt());
        Instant deadline = readInstant(in);
        Optional<String> principal = in.readBoolean() ? Optional.of(in.readUTF()) : Optional.empty();
        long recordVersion = in.readLong();
        int count = in.readInt();
        if (count < 0 || count > limit) {
            throw new IOException("a wrong attribute count: " + count);
        }
        Map<String, byte[]> attributes = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            String name = in.readUTF();
            int length = in.readInt();
            if (length < 0 || length > limit) {
                throw new IOException("a wrong attribute length: " + length);
            }
            byte[] value = in.readNBytes(length);
            if (value.length != length) {
                throw new IOException("an attribute cut short");
            }
            attributes.put(name, value);
        }
        if (in.read() != -1) {
            throw new IOException("bytes after the last attribute");
        }
        try {
            return new SessionRecord(
                    id, created, accessed, maxInactive, deadline, attributes, principal, recordVersion);
        } catch (RuntimeException e) {
            throw new IOException("an invalid session: " + e.getMessage(), e);
        }
    }

    private static void instant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }
}
