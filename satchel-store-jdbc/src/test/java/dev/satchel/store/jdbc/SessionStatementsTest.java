package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The portable statements and PostgreSQL's one-statement saves: text and binding agree. */
class SessionStatementsTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final SessionId ID = SessionId.random();

    /** Every shape of session-row update: with or without rename, access, idle timeout, principal. */
    private static List<ChangeSet> everyShape() {
        List<ChangeSet> shapes = new ArrayList<>();
        for (int bits = 0; bits < 16; bits++) {
            ChangeSet.Builder b = ChangeSet.builder(ID, T0, T0.plus(Duration.ofHours(8)));
            if ((bits & 1) != 0) {
                b.changeId(SessionId.random());
            }
            if ((bits & 2) != 0) {
                b.accessedAt(T0.plusSeconds(60));
            }
            if ((bits & 4) != 0) {
                b.maxInactiveInterval(Duration.ofMinutes(30));
            }
            if ((bits & 8) != 0) {
                b.principal(bits % 3 == 0 ? PrincipalChange.cleared() : PrincipalChange.to("alice"));
            }
            shapes.add(b.set("a", new byte[] {1}).remove("b").build());
        }
        return shapes;
    }

    @Test
    void updateBinding_fillsEveryPlaceholder_forEveryShape() throws SQLException {
        for (ChangeSet changes : everyShape()) {
            RecordingStatement s = new RecordingStatement();
            int next = SessionStatements.bindUpdate(s.statement, changes, 42L);
            int placeholders = RecordingStatement.placeholders(SessionStatements.updateStatement(changes));
            assertThat(next).as("next index for %s", changes).isEqualTo(placeholders + 1);
            assertThat(s.boundOneTo(placeholders)).isTrue();
            assertThat(s.bound.get(placeholders)).as("now, last").isEqualTo(42L);
        }
    }

    @Test
    void postgresOneStatementSaves_bindAsManyParametersAsTheyHold() throws SQLException {
        for (ChangeSet changes : everyShape()) {
            String sql = PostgresWrites.updateStatement(changes);
            RecordingStatement s = new RecordingStatement();
            int next = SessionStatements.bindAttributes(
                    s.statement, SessionStatements.bindUpdate(s.statement, changes, 42L), changes.setAttributes());
            assertThat(next - 1 + changes.removedAttributes().size()).isEqualTo(RecordingStatement.placeholders(sql));
            assertThat(sql).contains("ON CONFLICT").contains("DELETE FROM satchel_attributes");
        }
        ChangeSet created = ChangeSet.builder(ID, T0, T0.plusSeconds(3600))
                .created()
                .accessedAt(T0)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("a", new byte[] {1})
                .set("b", new byte[] {2})
                .build();
        RecordingStatement s = new RecordingStatement();
        SessionStatements.bindAttributes(
                s.statement,
                SessionStatements.bindInsert(s.statement, SessionRecord.create(created)),
                created.setAttributes());
        assertThat(s.boundOneTo(RecordingStatement.placeholders(PostgresWrites.insertStatement(2))))
                .isTrue();
    }

    /**
     * The update API's shapes take PostgreSQL's one conditional statement, with every placeholder
     * bound; any other shape (a removal beside, two expectations) is left to the transaction.
     */
    @Test
    void postgresConditionalStatement_coversTheUpdateApisShapes_andBindsThemFully() throws SQLException {
        byte[] old = {1};
        byte[] fresh = {2};
        List<ChangeSet> oneStatement = List.of(
                change().accessedAt(T0)
                        .set("cart", fresh)
                        .expect("cart", ExpectedValue.of(old))
                        .build(),
                change().set("cart", fresh)
                        .expect("cart", ExpectedValue.absent())
                        .build(),
                change().set("cart", fresh)
                        .set("note", old)
                        .set("more", old)
                        .expect("cart", ExpectedValue.of(old))
                        .build(),
                change().remove("cart").expect("cart", ExpectedValue.of(old)).build());
        List<PostgresWrites.CheckKind> kinds = new ArrayList<>();
        for (ChangeSet changes : oneStatement) {
            PostgresWrites.Check check = PostgresWrites.Check.of(changes).orElseThrow();
            kinds.add(check.kind());
            int others =
                    changes.setAttributes().size() - (changes.setAttributes().containsKey("cart") ? 1 : 0);
            String sql = PostgresWrites.conditionalStatement(changes, check, others);
            RecordingStatement s = new RecordingStatement();
            int next = check.bind(s.statement, SessionStatements.bindUpdate(s.statement, changes, 42L));
            java.util.Map<String, byte[]> rest = new java.util.LinkedHashMap<>(changes.setAttributes());
            rest.remove("cart");
            next = SessionStatements.bindAttributes(s.statement, next, rest);
            assertThat(next - 1).as(sql).isEqualTo(RecordingStatement.placeholders(sql));
            assertThat(s.boundOneTo(next - 1)).isTrue();
        }
        assertThat(kinds)
                .containsExactly(
                        PostgresWrites.CheckKind.REPLACE,
                        PostgresWrites.CheckKind.CREATE,
                        PostgresWrites.CheckKind.REPLACE,
                        PostgresWrites.CheckKind.REMOVE);
        List<ChangeSet> transaction = List.of(
                change().set("cart", fresh)
                        .remove("hint")
                        .expect("cart", ExpectedValue.of(old))
                        .build(),
                change().set("cart", fresh)
                        .set("note", fresh)
                        .expect("cart", ExpectedValue.of(old))
                        .expect("note", ExpectedValue.absent())
                        .build(),
                change().set("note", fresh)
                        .expect("cart", ExpectedValue.of(old))
                        .build(),
                change().remove("cart").expect("cart", ExpectedValue.absent()).build());
        for (ChangeSet changes : transaction) {
            assertThat(PostgresWrites.Check.of(changes)).as("%s", changes).isEmpty();
        }
    }

    @Test
    void update_keepsExpiryTheEarlierOfIdleAndDeadline_andOnlyMovesAccessForward() throws SQLException {
        try (InMemoryH2 h2 = new InMemoryH2();
                Connection c = h2.connection()) {
            long deadline = T0.plus(Duration.ofHours(1)).toEpochMilli();
            h2.update(
                    "INSERT INTO satchel_sessions (session_id, created_at, last_access, max_inactive,"
                            + " absolute_deadline, expires_at, version) VALUES (?, ?, ?, ?, ?, ?, 1)",
                    ID.value(),
                    T0.toEpochMilli(),
                    T0.toEpochMilli(),
                    Duration.ofMinutes(30).toMillis(),
                    deadline,
                    T0.plus(Duration.ofMinutes(30)).toEpochMilli());

            Instant touch = T0.plus(Duration.ofMinutes(20));
            assertThat(update(c, change().accessedAt(touch).build(), touch)).isEqualTo(1);
            assertThat(expiresAt(h2))
                    .isEqualTo(touch.plus(Duration.ofMinutes(30)).toEpochMilli());

            assertThat(update(c, change().accessedAt(T0).build(), touch))
                    .as("an older access is ignored")
                    .isEqualTo(1);
            assertThat(h2.queryLong("SELECT last_access FROM satchel_sessions")).isEqualTo(touch.toEpochMilli());

            assertThat(update(
                            c, change().maxInactiveInterval(Duration.ofHours(2)).build(), touch))
                    .isEqualTo(1);
            assertThat(expiresAt(h2)).as("capped by the absolute deadline").isEqualTo(deadline);
            assertThat(h2.queryLong("SELECT version FROM satchel_sessions")).isEqualTo(4);

            assertThat(update(c, change().accessedAt(touch).build(), Instant.ofEpochMilli(deadline)))
                    .as("no update of an expired session")
                    .isZero();
        }
    }

    @Test
    void duplicateKey_isRecognisedOnEveryDatabase() {
        assertThat(SessionStatements.isDuplicateKey(new SQLException("pg", "23505")))
                .isTrue();
        assertThat(SessionStatements.isDuplicateKey(new SQLException("maria", "23000", 1062)))
                .isTrue();
        assertThat(SessionStatements.isDuplicateKey(new SQLException("maria fk", "23000", 1452)))
                .isFalse();
        assertThat(SessionStatements.isDuplicateKey(new SQLException("other", "42000")))
                .isFalse();
    }

    private static ChangeSet.Builder change() {
        return ChangeSet.builder(ID, T0, T0.plus(Duration.ofHours(1)));
    }

    private static int update(Connection c, ChangeSet changes, Instant now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(SessionStatements.updateStatement(changes))) {
            SessionStatements.bindUpdate(s, changes, now.toEpochMilli());
            return s.executeUpdate();
        }
    }

    private static long expiresAt(InMemoryH2 h2) throws SQLException {
        return h2.queryLong("SELECT expires_at FROM satchel_sessions");
    }
}
