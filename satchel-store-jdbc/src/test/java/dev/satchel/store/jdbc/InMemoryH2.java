package dev.satchel.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;
import org.h2.jdbcx.JdbcDataSource;

/**
 * A private in-memory H2 database with Satchel's schema, for the unit tests of the store's pieces:
 * no server, gone when closed.
 */
final class InMemoryH2 implements AutoCloseable {

    final JdbcDataSource dataSource = new JdbcDataSource();
    private final Connection keepAlive;

    InMemoryH2() throws SQLException {
        dataSource.setURL("jdbc:h2:mem:unit-" + UUID.randomUUID());
        keepAlive = dataSource.getConnection(); // an in-memory database lives while a connection does
        SessionDatabase.over(dataSource).migrate();
    }

    /** Runs one statement with the parameters given, answering with its update count. */
    int update(String sql, Object... parameters) throws SQLException {
        try (PreparedStatement s = keepAlive.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            return s.executeUpdate();
        }
    }

    /** The single long value a query answers with. */
    long queryLong(String sql, Object... parameters) throws SQLException {
        try (PreparedStatement s = keepAlive.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setObject(i + 1, parameters[i]);
            }
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no row: " + sql);
                }
                return rs.getLong(1);
            }
        }
    }

    Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    @Override
    public void close() throws SQLException {
        keepAlive.close();
    }
}
