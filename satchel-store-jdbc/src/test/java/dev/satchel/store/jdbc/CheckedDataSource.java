package dev.satchel.store.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * An application's plain, unpooled {@link DataSource}: every connection is lent with the autocommit
 * mode the test chose and checked when the store closes it. A connection that comes back with
 * another autocommit mode is recorded; then whatever the store left uncommitted is rolled back, as
 * a strict pool would, so a write the store forgot to commit is lost and the test sees it.
 *
 * <p>It can also make the store's statements fail: every statement whose SQL contains a chosen
 * fragment, to drive the store's failure paths.
 */
final class CheckedDataSource implements DataSource {
    private final String jdbcUrl;
    private final boolean lentAutoCommit;
    private final AtomicInteger lent = new AtomicInteger();
    private final List<String> misreturned = new CopyOnWriteArrayList<>();
    private final AtomicReference<Optional<String>> failing = new AtomicReference<>(Optional.empty());
    private final AtomicReference<Optional<String>> deadlockFragment = new AtomicReference<>(Optional.empty());
    private final AtomicInteger deadlocksLeft = new AtomicInteger();
    private final AtomicInteger deadlocksInjected = new AtomicInteger();

    CheckedDataSource(String jdbcUrl, boolean lentAutoCommit) {
        this.jdbcUrl = jdbcUrl;
        this.lentAutoCommit = lentAutoCommit;
    }

    /** From now on, preparing a statement whose SQL contains {@code fragment} fails. */
    void failStatementsContaining(String fragment) {
        failing.set(Optional.of(fragment));
    }

    /**
     * The next {@code times} statements whose SQL contains {@code fragment} fail as a deadlock
     * victim's would (SQLState 40001, MariaDB's error 1213), the database having rolled back the
     * whole transaction.
     */
    void deadlockNext(String fragment, int times) {
        deadlockFragment.set(Optional.of(fragment));
        deadlocksLeft.set(times);
    }

    /** Deadlocks injected so far. */
    int deadlocksInjected() {
        return deadlocksInjected.get();
    }

    void stopFailing() {
        failing.set(Optional.empty());
    }

    /** Connections lent so far. */
    int lent() {
        return lent.get();
    }

    /** One line per connection that came back in another autocommit mode than it was lent in. */
    List<String> misreturned() {
        return List.copyOf(misreturned);
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection real = DriverManager.getConnection(jdbcUrl);
        real.setAutoCommit(lentAutoCommit);
        int number = lent.incrementAndGet();
        return (Connection) Proxy.newProxyInstance(
                Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close" -> {
                            giveBack(real, number);
                            return null;
                        }
                        case "prepareStatement" -> {
                            String sql = (String) args[0];
                            if (failing.get().filter(sql::contains).isPresent()) {
                                throw new SQLTransientException("injected failure: " + sql);
                            }
                            if (deadlockFragment.get().filter(sql::contains).isPresent()
                                    && deadlocksLeft.getAndDecrement() > 0) {
                                deadlocksInjected.incrementAndGet();
                                if (!real.getAutoCommit()) {
                                    real.rollback(); // what the database does to a deadlock victim
                                }
                                throw new java.sql.SQLTransactionRollbackException(
                                        "injected deadlock: " + sql, "40001", 1213);
                            }
                        }
                        default -> {}
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private void giveBack(Connection real, int number) throws SQLException {
        try (real) {
            if (real.isClosed()) {
                return;
            }
            boolean autoCommit = real.getAutoCommit();
            if (autoCommit != lentAutoCommit) {
                misreturned.add("connection " + number + " lent with autocommit " + lentAutoCommit + ", returned with "
                        + autoCommit);
            }
            if (!autoCommit) {
                real.rollback();
            }
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
