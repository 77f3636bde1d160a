package dev.satchel.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;

/** The demo with sessions in the machine's PostgreSQL, in a schema of its own: they outlive any node. */
class DemoJdbcClusterIT extends DemoClusterScenario {
    private static final String SERVER =
            System.getProperty("satchel.test.postgres", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    private static final String SCHEMA =
            "satchel_demo_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @Override
    String store() {
        // Called while the scenario starts the demo, so the schema is made here, once.
        try (Connection c = DriverManager.getConnection(SERVER)) {
            c.createStatement().execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach PostgreSQL at " + SERVER, e);
        }
        return SERVER + "&currentSchema=" + SCHEMA;
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }

    @AfterAll
    void dropSchema() throws SQLException {
        try (Connection c = DriverManager.getConnection(SERVER)) {
            c.createStatement().execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }
}
