package dev.satchel.store.jdbc;

/** The SQL store against an in-memory H2 database, kept open for the test class. */
class H2SessionStoreIT extends JdbcStoreContract {

    @Override
    protected String jdbcUrl() {
        // A lock wait long enough for the tests that hold a row lock on purpose.
        return "jdbc:h2:mem:satchel_it;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=60000";
    }

    @Override
    protected RowLockHolder.LockQueries lockQueries() {
        return new RowLockHolder.LockQueries(
                "SELECT SESSION_ID()",
                "SELECT CAST(? AS BIGINT)",
                "SELECT SESSION_ID, BLOCKER_ID FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL");
    }
}
