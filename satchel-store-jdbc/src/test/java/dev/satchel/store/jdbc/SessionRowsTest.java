package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Row mapping, against the real schema in an in-memory H2. */
class SessionRowsTest {

    private static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    @Test
    void joinedRows_becomeOneRecordPerSession_withEveryAttribute_inKeyOrder() throws SQLException {
        SessionId first = SessionId.random();
        SessionId second = SessionId.random();
        try (InMemoryH2 h2 = new InMemoryH2()) {
            insertSession(h2, first.value(), "alice");
            insertSession(h2, second.value(), "alice");
            insertAttribute(h2, first.value(), "cart", new byte[] {1, 2});
            insertAttribute(h2, first.value(), "theme", new byte[] {3});

            List<SessionRows.Stored> stored = query(h2, SessionStatements.FIND_BY_PRINCIPAL, "alice", T0);

            assertThat(stored).extracting(s -> s.record().id()).containsExactly(first, second);
            assertThat(stored.get(0).pk()).isLessThan(stored.get(1).pk());
            SessionRecord r = stored.get(0).record();
            assertThat(r.attributes()).containsOnlyKeys("cart", "theme");
            assertThat(r.attributes().get("cart")).containsExactly(1, 2);
            assertThat(r.createdAt()).isEqualTo(Instant.ofEpochMilli(T0));
            assertThat(r.lastAccessedAt()).isEqualTo(Instant.ofEpochMilli(T0 + 1_000));
            assertThat(r.maxInactiveInterval()).isEqualTo(Duration.ofMinutes(30));
            assertThat(r.absoluteDeadline()).isEqualTo(Instant.ofEpochMilli(T0 + 3_600_000));
            assertThat(r.principal()).contains("alice");
            assertThat(r.version()).isEqualTo(3);
            assertThat(stored.get(1).record().attributes())
                    .as("a session without attributes")
                    .isEmpty();
        }
    }

    @Test
    void noPrincipal_isEmpty_andNoRow_isNoSession() throws SQLException {
        SessionId id = SessionId.random();
        try (InMemoryH2 h2 = new InMemoryH2()) {
            insertSession(h2, id.value(), null);
            assertThat(query(h2, SessionStatements.LOAD, id.value()))
                    .singleElement()
                    .satisfies(s -> assertThat(s.record().principal()).isEmpty());
            assertThat(query(h2, SessionStatements.LOAD, SessionId.random().value()))
                    .isEmpty();
        }
    }

    @Test
    void aMalformedSessionId_isASessionDataException() throws SQLException {
        try (InMemoryH2 h2 = new InMemoryH2()) {
            insertSession(h2, "not a session id", null);
            assertThatThrownBy(() -> query(h2, SessionStatements.LOAD, "not a session id"))
                    .isInstanceOf(SessionDataException.class)
                    .hasMessageContaining("malformed session id");
        }
    }

    private static void insertSession(InMemoryH2 h2, String id, String principal) throws SQLException {
        h2.update(
                "INSERT INTO satchel_sessions (session_id, created_at, last_access, max_inactive,"
                        + " absolute_deadline, expires_at, principal, version) VALUES (?, ?, ?, ?, ?, ?, ?, 3)",
                id,
                T0,
                T0 + 1_000,
                Duration.ofMinutes(30).toMillis(),
                T0 + 3_600_000,
                T0 + 1_801_000,
                principal);
    }

    private static void insertAttribute(InMemoryH2 h2, String id, String name, byte[] value) throws SQLException {
        h2.update(
                "INSERT INTO satchel_attributes (session_pk, name, attr_value)"
                        + " SELECT pk, ?, ? FROM satchel_sessions WHERE session_id = ?",
                name,
                value,
                id);
    }

    private static List<SessionRows.Stored> query(InMemoryH2 h2, String sql, Object... parameters) throws SQLException {
        try (Connection c = h2.connection();
                PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                return SessionRows.read(rs);
            }
        }
    }
}
