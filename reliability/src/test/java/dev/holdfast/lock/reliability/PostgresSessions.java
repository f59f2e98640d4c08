package dev.holdfast.lock.reliability;

import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.harness.TcpProxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** Ends exactly one run's PostgreSQL sessions: the harness's "restart" there (the shared server is never restarted). */
final class PostgresSessions {

    private PostgresSessions() {
    }

    /**
     * {@code pg_terminate_backend} of every session that came in through one of {@code proxies} (matched by
     * the proxies' upstream ports, so only this run's sessions, whatever application name they set).
     */
    static void terminate(JdbcSettings pg, List<TcpProxy> proxies) {
        Integer[] ports = proxies.stream().flatMap(p -> p.upstreamLocalPorts().stream()).toArray(Integer[]::new);
        try (Connection c = pg.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE client_port = ANY(?) AND pid <> pg_backend_pid()")) {
            ps.setArray(1, c.createArrayOf("integer", ports));
            ps.executeQuery().close();
        } catch (SQLException e) {
            throw new IllegalStateException("pg_terminate_backend of the run's sessions", e);
        }
    }

    static void execute(JdbcSettings db, String sql) {
        try (Connection c = db.connect()) {
            c.createStatement().execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }
}
