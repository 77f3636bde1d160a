package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionStoreUnavailableException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SessionDatabaseTest {

    @Test
    void deadlocksAndSerializationFailures_ofEveryDatabase_areConflictsWorthRetrying() {
        assertThat(SessionDatabase.isRolledBackConflict(new SQLException("pg/h2", "40001")))
                .isTrue();
        assertThat(SessionDatabase.isRolledBackConflict(new SQLException("pg deadlock", "40P01")))
                .isTrue();
        assertThat(SessionDatabase.isRolledBackConflict(new SQLException("innodb", "HY000", 1213)))
                .isTrue();
        assertThat(SessionDatabase.isRolledBackConflict(new SQLException("lock wait timeout", "HY000", 1205)))
                .isFalse();
        assertThat(SessionDatabase.isRolledBackConflict(new SQLException("no state")))
                .isFalse();
    }

    @Test
    void failures_sayWhetherTheDatabaseWasUnreachableOrRefused() {
        assertThat(SessionDatabase.unavailable(new SQLException("refused", "08001")))
                .hasMessageStartingWith("the session database did not answer");
        assertThat(SessionDatabase.unavailable(new SQLException("admin shutdown", "57P01")))
                .hasMessageStartingWith("the session database did not answer");
        assertThat(SessionDatabase.unavailable(new SQLTransientConnectionException("pool timeout")))
                .hasMessageStartingWith("the session database did not answer");
        assertThat(SessionDatabase.unavailable(new SQLException("syntax", "42601")))
                .hasMessageStartingWith("the session database refused a statement (42601)");
        assertThat(SessionDatabase.unavailable(new SQLException("deadlock", "40P01")))
                .hasMessageContaining("rolled this save back 4 times");
    }

    @Test
    void urlsInMessages_carryNoCredentials() {
        assertThat(SessionDatabase.redacted("jdbc:postgresql://db/app?user=app&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/app?user=app&password=***&ssl=true");
        assertThat(SessionDatabase.redacted("jdbc:mariadb://app:s3cret@db/app")).isEqualTo("jdbc:mariadb://***@db/app");
        assertThat(SessionDatabase.redacted("jdbc:h2:file:/x;PASSWORD=s3cret")).doesNotContain("s3cret");
    }

    @Test
    void aConflict_isRunAgain_boundedly_andCounted() throws SQLException {
        try (InMemoryH2 h2 = new InMemoryH2();
                SessionDatabase database = SessionDatabase.over(h2.dataSource)) {
            assertThat(database.dialect()).isEqualTo(Dialect.H2);
            AtomicInteger attempts = new AtomicInteger();
            String answer = database.withConnection(c -> {
                if (attempts.incrementAndGet() <= 2) {
                    throw new SQLException("deadlock", "40001");
                }
                return "done";
            });
            assertThat(answer).isEqualTo("done");
            assertThat(attempts).hasValue(3);
            assertThat(database.conflictRetries()).isEqualTo(2);
            assertThat(database.failures()).isZero();

            attempts.set(0);
            assertThatThrownBy(() -> database.withConnection(c -> {
                        attempts.incrementAndGet();
                        throw new SQLException("deadlock", "40P01");
                    }))
                    .isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(attempts).hasValue(SessionDatabase.CONFLICT_ATTEMPTS);
            assertThat(database.conflictRetries()).isEqualTo(2 + SessionDatabase.CONFLICT_ATTEMPTS - 1);

            attempts.set(0);
            assertThatThrownBy(() -> database.withConnection(c -> {
                        attempts.incrementAndGet();
                        throw new SQLException("syntax", "42000");
                    }))
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("refused");
            assertThat(attempts).as("no retry of what is not a conflict").hasValue(1);
            assertThat(database.failures()).isEqualTo(2);
        }
    }
}
