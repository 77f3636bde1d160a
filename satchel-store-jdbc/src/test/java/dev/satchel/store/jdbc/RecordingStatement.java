package dev.satchel.store.jdbc;

import java.lang.reflect.Proxy;
import java.sql.PreparedStatement;
import java.util.TreeMap;

/**
 * A {@link PreparedStatement} that only remembers what was bound to it, so a statement's binding can
 * be checked against its text for a database that is not running here.
 */
final class RecordingStatement {

    /** Parameter index to the value bound there (null for a bound SQL NULL). */
    final TreeMap<Integer, Object> bound = new TreeMap<>();

    final PreparedStatement statement = (PreparedStatement) Proxy.newProxyInstance(
            RecordingStatement.class.getClassLoader(),
            new Class<?>[] {PreparedStatement.class},
            (proxy, method, args) -> {
                if (method.getName().startsWith("set") && args != null && args.length >= 2) {
                    bound.put((Integer) args[0], method.getName().equals("setNull") ? null : args[1]);
                    return null;
                }
                throw new UnsupportedOperationException(method.getName());
            });

    /** The number of {@code ?} placeholders in {@code sql}, which holds no quoted question marks. */
    static int placeholders(String sql) {
        return (int) sql.chars().filter(ch -> ch == '?').count();
    }

    /** Whether exactly the parameters 1..n were bound, each once. */
    boolean boundOneTo(int n) {
        return bound.size() == n && (n == 0 || bound.lastKey() == n);
    }
}
