package dev.satchel.store.jdbc;

/** The SQL store against an in-memory H2 database, kept open for the test class. */
class H2SessionStoreIT extends JdbcStoreContract {

    @Override
    protected String jdbcUrl() {
        return "jdbc:h2:mem:satchel_it;DB_CLOSE_DELAY=-1";
    }
}
