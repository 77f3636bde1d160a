package dev.satchel.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Set;

/**
 * The directory where the demo's nodes keep their H2 databases and logs, kept to its owner: created
 * 0700, files in it 0600, and a random database password that every node of the directory shares.
 * H2's auto-server listens on a TCP port and writes that port and its key into a lock file; before
 * this, any local user could read the lock file and log in as {@code sa} with an empty password
 * (and {@code CREATE ALIAS} runs Java inside the node). Immutable.
 */
public final class PrivateDataDir {
    /** H2's administrator; the database is created with it and the password below. */
    public static final String DATABASE_USER = "sa";

    private static final String PASSWORD_FILE = "db-password";
    private static final int WRONG_USER_OR_PASSWORD = 28000; // org.h2.api.ErrorCode
    private static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private final Path dir;

    private PrivateDataDir(Path dir) {
        this.dir = dir;
    }

    /**
     * The directory, created 0700 with its parents if missing. One that exists keeps its mode (it
     * may be shared on purpose, e.g. by nodes of several hosts); its files are made 0600 all the
     * same by {@link #restrictFiles()}.
     */
    public static PrivateDataDir open(Path dir) {
        Path absolute = dir.toAbsolutePath();
        try {
            if (!Files.isDirectory(absolute)) {
                Files.createDirectories(absolute, ownerOnly(OWNER_ONLY_DIR));
            }
            Files.createDirectories(absolute.resolve("logs"), ownerOnly(OWNER_ONLY_DIR));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + absolute, e);
        }
        return new PrivateDataDir(absolute);
    }

    public Path path() {
        return dir;
    }

    /**
     * The password of every H2 database in this directory: read from {@code db-password} (0600), or
     * made (256 random bits) by whichever node gets there first. Nodes that start together race, so
     * the file appears whole or not at all: written aside, then hard-linked into place, which fails
     * if another node's is already there.
     */
    public String databasePassword() {
        Path file = dir.resolve(PASSWORD_FILE);
        try {
            if (!Files.exists(file)) {
                byte[] bytes = new byte[32];
                new SecureRandom().nextBytes(bytes);
                String fresh = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                Path aside = Files.createTempFile(dir, PASSWORD_FILE, ".new", ownerOnly(OWNER_ONLY_FILE));
                try {
                    Files.writeString(aside, fresh, StandardCharsets.US_ASCII);
                    Files.createLink(file, aside);
                } catch (FileAlreadyExistsException anotherNodeWasFirst) {
                    // read theirs below
                } finally {
                    Files.deleteIfExists(aside);
                }
            }
            String password = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (password.length() < 32) {
                throw new IllegalStateException(
                        file + " holds no usable database password; delete it to make a new one");
            }
            return password;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + file, e);
        }
    }

    /**
     * Sets the password on an H2 database made before databases here had one (user {@code sa}, empty
     * password), so an old data directory keeps its users. Does nothing to a database that already
     * takes the password, or that another process holds open (the next attempt sees it done).
     */
    public static void adoptOldDatabase(String jdbcUrl, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl, DATABASE_USER, password)) {
            return; // already protected
        } catch (SQLException e) {
            if (e.getErrorCode() != WRONG_USER_OR_PASSWORD) {
                throw e;
            }
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl, DATABASE_USER, "");
                PreparedStatement p = c.prepareStatement("ALTER USER " + DATABASE_USER + " SET PASSWORD ?")) {
            p.setString(1, password);
            p.execute();
        }
    }

    /**
     * Makes every regular file in the directory and in {@code logs} readable by its owner only.
     * Run after the databases are open, since H2 creates its files with the process's umask.
     */
    public void restrictFiles() {
        restrictFilesIn(dir);
        restrictFilesIn(dir.resolve("logs"));
    }

    private static void restrictFilesIn(Path directory) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory)) {
            for (Path f : files) {
                if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.setPosixFilePermissions(f, OWNER_ONLY_FILE);
                    } catch (IOException vanished) {
                        // H2 deletes its temporary files as it goes
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
    }

    /** A file or directory mode for creation; empty where the file system has no POSIX modes. */
    private static FileAttribute<?>[] ownerOnly(Set<PosixFilePermission> mode) {
        boolean posix = java.nio.file.FileSystems.getDefault()
                .supportedFileAttributeViews()
                .contains("posix");
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
    }
}
