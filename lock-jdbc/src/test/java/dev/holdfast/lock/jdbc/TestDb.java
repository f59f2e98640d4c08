package dev.holdfast.lock.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test database: hands out data sources whose physical connections are recorded (session ids, so a
 * test can kill exactly its own sessions) and whose statements are counted (round trips).
 */
final class TestDb implements AfterEachCallback {

    enum Kind { POSTGRES, MARIADB, H2 }

    final Kind kind;
    private final String url;
    private final String user;
    private final String password;
    final Set<Long> sessions = ConcurrentHashMap.newKeySet();
    final AtomicLong statements = new AtomicLong();
    /** Every SQL text sent, while {@link #recordSql} is on (to prove names only travel as parameters). */
    final java.util.Queue<String> sqlTexts = new java.util.concurrent.ConcurrentLinkedQueue<>();
    volatile boolean recordSql;
    private final List<HikariDataSource> pools = new CopyOnWriteArrayList<>();
    private final List<Fault> faults = new CopyOnWriteArrayList<>();

    /** What an armed fault does to a statement whose SQL text matches. */
    enum FaultAction {
        /**
         * The statement does not run: in its place the session runs a statement the server cancels (PostgreSQL
         * statement_timeout, SQLSTATE 57014; MariaDB max_statement_time, error 1969), whose real error is thrown.
         */
        SERVER_CANCELS,
        /** The statement runs (and commits), then its reply is "lost": the connection is aborted, 08006 thrown. */
        REPLY_LOST
    }

    private static final class Fault {
        final java.util.function.Predicate<String> sql;
        final FaultAction action;
        final java.util.concurrent.atomic.AtomicInteger remaining;
        /** How many times the fault really happened (for REPLY_LOST: a statement ran and its reply was lost). */
        final java.util.concurrent.atomic.AtomicInteger fired = new java.util.concurrent.atomic.AtomicInteger();
        /** The session-id set of the data source whose connections the fault hits; null: every connection. */
        final @org.jspecify.annotations.Nullable Set<Long> scope;

        Fault(java.util.function.Predicate<String> sql, FaultAction action, int times,
                @org.jspecify.annotations.Nullable Set<Long> scope) {
            this.sql = sql;
            this.scope = scope;
            this.action = action;
            this.remaining = new java.util.concurrent.atomic.AtomicInteger(times);
        }
    }

    /**
     * Arms a fault for the next {@code times} executions of prepared statements whose SQL text contains
     * {@code sqlPart} (on connections of this test database); disarmed after the test.
     *
     * @return how many times the fault has happened so far (a REPLY_LOST counts once the statement ran and its
     *         connection was aborted)
     */
    java.util.function.IntSupplier failNext(String sqlPart, FaultAction action, int times) {
        Fault fault = new Fault(sql -> sql.contains(sqlPart), action, times, null);
        faults.add(fault);
        return fault.fired::get;
    }

    /**
     * Like {@link #failNext(String, FaultAction, int)}, but only on connections of the data source that
     * records its sessions in {@code sessionsOf} (the set given to {@link #direct} or {@link #pool}), so other
     * clients of the same database are not hit.
     */
    java.util.function.IntSupplier failNext(Set<Long> sessionsOf, String sqlPart, FaultAction action, int times) {
        Fault fault = new Fault(sql -> sql.contains(sqlPart), action, times, sessionsOf);
        faults.add(fault);
        return fault.fired::get;
    }

    private TestDb(Kind kind, String url, String user, String password) {
        this.kind = kind;
        this.url = url;
        this.user = user;
        this.password = password;
    }

    static TestDb postgres() {
        JdbcSettings s = PostgresFixture.settings();
        return new TestDb(Kind.POSTGRES, s.url(), s.user(), s.password());
    }

    static TestDb mariadb() {
        JdbcSettings s = MariaDbFixture.settings();
        return new TestDb(Kind.MARIADB, s.url(), s.user(), s.password());
    }

    static TestDb h2() {
        return new TestDb(Kind.H2, "jdbc:h2:mem:holdfast-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
    }

    /** A connection outside any tracking, for admin statements. */
    Connection admin() throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** The JDBC URL of this database. */
    String url() {
        return url;
    }

    /** A non-pooling data source on another URL of this database's server (e.g. through a proxy). */
    DataSource direct(String otherUrl) {
        return new Direct(ConcurrentHashMap.newKeySet(), otherUrl);
    }

    /** A non-pooling data source: every getConnection opens a recorded, counted session. */
    DataSource direct(Set<Long> ids) {
        return new Direct(ids);
    }

    /** A pool of recorded, counted sessions, closed after the current test. */
    HikariDataSource pool(String name, int size, Set<Long> ids) {
        return pool(name, size, ids, config -> { });
    }

    /** Like {@link #pool(String, int, Set)}, with more settings. */
    HikariDataSource pool(String name, int size, Set<Long> ids, java.util.function.Consumer<HikariConfig> settings) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(direct(ids));
        config.setPoolName(name);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setIdleTimeout(10_000);
        config.setConnectionTimeout(5_000);
        config.setInitializationFailTimeout(-1);
        settings.accept(config);
        if (kind == Kind.H2) {
            // H2 reports a session ended from outside (ABORT_SESSION) with its own codes, which Hikari does not know
            config.setExceptionOverride(new com.zaxxer.hikari.SQLExceptionOverride() {
                @java.lang.Override
                public com.zaxxer.hikari.SQLExceptionOverride.Override adjudicate(SQLException e) {
                    return Jdbc.isConnectionError(null, e)
                            ? com.zaxxer.hikari.SQLExceptionOverride.Override.MUST_EVICT
                            : com.zaxxer.hikari.SQLExceptionOverride.Override.CONTINUE_EVICT;
                }
            });
        }
        HikariDataSource ds = new HikariDataSource(config);
        pools.add(ds);
        return ds;
    }

    /** A data source for a port where nothing listens. */
    DataSource unreachable() {
        return new Direct(ConcurrentHashMap.newKeySet(), unreachableUrl());
    }

    private String unreachableUrl() {
        return switch (kind) {
            case POSTGRES -> "jdbc:postgresql://127.0.0.1:1/test?connectTimeout=2";
            case MARIADB -> "jdbc:mariadb://127.0.0.1:1/test?connectTimeout=2000";
            case H2 -> "jdbc:h2:tcp://127.0.0.1:1/mem:nowhere";
        };
    }

    /**
     * A provider built while the database is reachable (builders check the schema) whose data source then
     * points at a port where nothing listens.
     */
    <T> T goesDownAfterBuild(java.util.function.Function<DataSource, T> build) {
        Direct ds = new Direct(ConcurrentHashMap.newKeySet());
        T built = build.apply(ds);
        ds.target = unreachableUrl();
        return built;
    }

    /** Ends the given sessions from the server's side (only ever sessions this test opened). */
    void kill(Iterable<Long> ids) {
        try (Connection c = admin(); Statement s = c.createStatement()) {
            for (Long id : ids) {
                try {
                    switch (kind) {
                        case POSTGRES -> s.execute("SELECT pg_terminate_backend(" + id + ")");
                        case MARIADB -> s.execute("KILL CONNECTION " + id);
                        case H2 -> s.execute("CALL ABORT_SESSION(" + id + ")");
                    }
                } catch (SQLException gone) {
                    // already ended
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Ends every session this test database handed out. */
    void killAll() {
        kill(List.copyOf(sessions));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        faults.clear();
        pools.forEach(HikariDataSource::close);
        pools.clear();
    }

    private String sessionIdQuery() {
        return switch (kind) {
            case POSTGRES -> "SELECT pg_backend_pid()";
            case MARIADB -> "SELECT CONNECTION_ID()";
            case H2 -> "SELECT SESSION_ID()";
        };
    }

    private final class Direct implements DataSource {
        private final Set<Long> ids;
        private volatile String target;

        Direct(Set<Long> ids) {
            this(ids, url);
        }

        Direct(Set<Long> ids, String target) {
            this.ids = ids;
            this.target = target;
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = DriverManager.getConnection(target, user, password);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sessionIdQuery())) {
                rs.next();
                long id = rs.getLong(1);
                ids.add(id);
                sessions.add(id);
            }
            return counting(c, ids);
        }

        @Override
        public Connection getConnection(String u, String p) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return new PrintWriter(System.err);
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

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

    private Connection counting(Connection c, Set<Long> ids) {
        InvocationHandler h = (proxy, method, args) -> {
            try {
                if (method.getName().equals("unwrap") && args[0] instanceof Class<?> cls && cls.isInstance(c)) {
                    return cls.cast(c);
                }
                if (method.getName().equals("isWrapperFor") && args[0] instanceof Class<?> cls && cls.isInstance(c)) {
                    return true;
                }
                if (recordSql && args != null && args.length > 0 && args[0] instanceof String sql
                        && (method.getName().startsWith("prepare") || method.getName().equals("nativeSQL"))) {
                    sqlTexts.add(sql);
                }
                Object result = method.invoke(c, args);
                if (result instanceof Statement st) {
                    String sql = method.getName().startsWith("prepare") && args != null && args[0] instanceof String s ? s : null;
                    return countingStatement(c, st, sql, ids);
                }
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
    }

    private @org.jspecify.annotations.Nullable Fault armed(@org.jspecify.annotations.Nullable String sql, Set<Long> ids) {
        if (sql == null) {
            return null;
        }
        for (Fault f : faults) {
            if ((f.scope == null || f.scope == ids) && f.sql.test(sql) && f.remaining.getAndDecrement() > 0) {
                return f;
            }
        }
        return null;
    }

    private void cancelledOnServer(Connection raw) throws SQLException {
        try (Statement s = raw.createStatement()) {
            if (kind == Kind.POSTGRES) {
                s.execute("SELECT set_config('statement_timeout', '100', false)");
                try {
                    s.execute("SELECT pg_sleep(10)");
                } finally {
                    s.execute("SELECT set_config('statement_timeout', '0', false)");
                }
            } else if (kind == Kind.MARIADB) {
                s.execute("SET STATEMENT max_statement_time = 0.1 FOR SELECT SLEEP(10)");
            }
        }
        throw new IllegalStateException("the server did not cancel the fault's statement");
    }

    private Statement countingStatement(Connection raw, Statement st, @org.jspecify.annotations.Nullable String preparedSql,
            Set<Long> ids) {
        Class<?>[] ifaces = st instanceof java.sql.CallableStatement ? new Class<?>[] {java.sql.CallableStatement.class}
                : st instanceof java.sql.PreparedStatement ? new Class<?>[] {java.sql.PreparedStatement.class}
                : new Class<?>[] {Statement.class};
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().startsWith("execute")) {
                statements.incrementAndGet();
                if (recordSql && args != null && args.length > 0 && args[0] instanceof String sql) {
                    sqlTexts.add(sql);
                }
                Fault fault = armed(args != null && args.length > 0 && args[0] instanceof String sql ? sql : preparedSql, ids);
                if (fault != null && fault.action == FaultAction.SERVER_CANCELS) {
                    fault.fired.incrementAndGet();
                    cancelledOnServer(raw);
                }
                if (fault != null && fault.action == FaultAction.REPLY_LOST) {
                    try {
                        method.invoke(st, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    raw.abort(Runnable::run);
                    fault.fired.incrementAndGet();
                    throw new java.sql.SQLNonTransientConnectionException("reply lost (test fault)", "08006");
                }
            }
            try {
                return method.invoke(st, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Statement) Proxy.newProxyInstance(getClass().getClassLoader(), ifaces, h);
    }
}
