package dev.satchel.store.jdbc;

import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the rows of a session joined to its attributes ({@link SessionStatements#LOAD}, {@link
 * SessionStatements#FIND_BY_PRINCIPAL}) back into records: one row per attribute, or one row with a
 * null attribute for a session that has none.
 */
final class SessionRows {

    private SessionRows() {}

    /** A session as stored, with the internal key a later statement can address it by. */
    record Stored(long pk, SessionRecord record) {}

    /**
     * Groups the rows into sessions, in the order their first row came.
     *
     * @throws SessionDataException if a row holds what no save could have written
     */
    static List<Stored> read(ResultSet rs) throws SQLException {
        Map<Long, Row> rows = new LinkedHashMap<>();
        while (rs.next()) {
            long pk = rs.getLong(1);
            Row row = rows.get(pk);
            if (row == null) {
                row = new Row(
                        pk,
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        rs.getString(7),
                        rs.getLong(8),
                        new HashMap<>());
                rows.put(pk, row);
            }
            String name = rs.getString(9);
            if (name != null) {
                row.attributes().put(name, rs.getBytes(10));
            }
        }
        List<Stored> stored = new ArrayList<>(rows.size());
        for (Row row : rows.values()) {
            stored.add(new Stored(row.pk(), row.toRecord()));
        }
        return stored;
    }

    /** The session columns of one row, and the attributes of every row of that session. */
    private record Row(
            long pk,
            String id,
            long created,
            long accessed,
            long idle,
            long deadline,
            String principal,
            long version,
            Map<String, byte[]> attributes) {

        SessionRecord toRecord() {
            SessionId sessionId = SessionId.parse(id)
                    .orElseThrow(() -> new SessionDataException("malformed session id in the database", null));
            try {
                return new SessionRecord(
                        sessionId,
                        Instant.ofEpochMilli(created),
                        Instant.ofEpochMilli(accessed),
                        Duration.ofMillis(idle),
                        Instant.ofEpochMilli(deadline),
                        attributes,
                        Optional.ofNullable(principal),
                        version);
            } catch (RuntimeException e) {
                throw new SessionDataException(sessionId, "unreadable session row", e);
            }
        }
    }
}
