package dev.holdfast.lock.spring.autoconfigure;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code holdfast.lock.*}: which backend, default times, leader election and meters. Every setter checks
 * its value and names the property when it refuses one, so a bad value fails the application at startup.
 */
@ConfigurationProperties(prefix = "holdfast.lock")
public class HoldfastLockProperties {

    /** The values {@code holdfast.lock.backend} accepts. */
    public static final List<String> BACKENDS =
            List.of("jdbc-table", "postgres-advisory", "mysql", "redis", "zookeeper", "in-memory");

    /**
     * Lock backend: jdbc-table, postgres-advisory, mysql (GET_LOCK, also MariaDB), redis, zookeeper or
     * in-memory. Unset with a single DataSource bean: jdbc-table.
     */
    private @Nullable String backend;

    /** Default lease time of @Locked methods and LockTemplate: how long a crashed holder keeps a lock. */
    private Duration leaseTime = LockRequest.DEFAULT_LEASE_TIME;

    /** Default wait for a busy lock: @Locked with onBusy = WAIT and no waitTime, LockTemplate.execute. */
    private Duration waitTime = Duration.ofSeconds(10);

    /** This process's name in owner ids (default: host name and pid). */
    private @Nullable String instanceName;

    /**
     * Every fencing token of the provider is greater than this value (default 0): set it to the highest token
     * your fenced resources have seen when moving lock names to another backend, on every node.
     */
    private long tokensAbove;

    private final Jdbc jdbc = new Jdbc();
    private final Redis redis = new Redis();
    private final Zookeeper zookeeper = new Zookeeper();
    private final Leader leader = new Leader();
    private final Metrics metrics = new Metrics();

    public @Nullable String getBackend() {
        return backend;
    }

    public void setBackend(@Nullable String backend) {
        if (backend != null && !backend.isBlank() && !BACKENDS.contains(backend.trim())) {
            throw new IllegalArgumentException("holdfast.lock.backend must be one of " + String.join(", ", BACKENDS)
                    + "; was '" + backend + "'");
        }
        this.backend = backend == null || backend.isBlank() ? null : backend.trim();
    }

    public Duration getLeaseTime() {
        return leaseTime;
    }

    public void setLeaseTime(Duration leaseTime) {
        this.leaseTime = positive("holdfast.lock.lease-time", leaseTime);
    }

    public Duration getWaitTime() {
        return waitTime;
    }

    public void setWaitTime(Duration waitTime) {
        this.waitTime = notNegative("holdfast.lock.wait-time", waitTime);
    }

    public @Nullable String getInstanceName() {
        return instanceName;
    }

    public void setInstanceName(@Nullable String instanceName) {
        this.instanceName = instanceName;
    }

    public long getTokensAbove() {
        return tokensAbove;
    }

    public void setTokensAbove(long tokensAbove) {
        if (tokensAbove < 0) {
            throw new IllegalArgumentException("holdfast.lock.tokens-above must be zero or positive, was " + tokensAbove);
        }
        this.tokensAbove = tokensAbove;
    }

    public Jdbc getJdbc() {
        return jdbc;
    }

    public Redis getRedis() {
        return redis;
    }

    public Zookeeper getZookeeper() {
        return zookeeper;
    }

    public Leader getLeader() {
        return leader;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    static Duration positive(String property, Duration value) {
        requireNonNull(value, property);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(property + " must be positive, was " + value);
        }
        return notTooLong(property, value);
    }

    static Duration notNegative(String property, Duration value) {
        requireNonNull(value, property);
        if (value.isNegative()) {
            throw new IllegalArgumentException(property + " must not be negative, was " + value);
        }
        return notTooLong(property, value);
    }

    private static Duration notTooLong(String property, Duration value) {
        if (value.compareTo(LockRequest.MAX_DURATION) > 0) {
            throw new IllegalArgumentException(property + " must be at most " + LockRequest.MAX_DURATION + ", was " + value);
        }
        return value;
    }

    /** {@code holdfast.lock.jdbc.*}: the JDBC backends (jdbc-table, postgres-advisory, mysql). */
    public static class Jdbc {
        /** The lock table (jdbc-table backend). */
        private String tableName = "holdfast_lock";
        /**
         * Whether the JDBC backends create what they need at startup if it is missing: the lock table
         * (jdbc-table), the fencing sequence (postgres-advisory; mysql on MariaDB) or fence table (mysql on
         * MySQL). Off, startup fails naming the missing object and its DDL file. Default true.
         */
        private @Nullable Boolean createIfMissing;
        /** The former name of {@link #createIfMissing}. */
        private @Nullable Boolean createTable;
        /**
         * The longest any one statement of the jdbc-table backend may run (acquire, renew, release, inspect)
         * before it is cancelled and the call fails: bounds a stalled database or a lost reply. Default 5 s.
         */
        private Duration statementTimeout = Duration.ofSeconds(5);

        public Duration getStatementTimeout() {
            return statementTimeout;
        }

        public void setStatementTimeout(Duration statementTimeout) {
            this.statementTimeout = requireNonNull(statementTimeout, "holdfast.lock.jdbc.statement-timeout");
        }

        public String getTableName() {
            return tableName;
        }

        public void setTableName(String tableName) {
            this.tableName = requireNonNull(tableName, "holdfast.lock.jdbc.table-name");
        }

        /**
         * {@code holdfast.lock.jdbc.create-if-missing}: its value if set, else the deprecated
         * {@code create-table}'s, else true.
         */
        public boolean isCreateIfMissing() {
            return createIfMissing != null ? createIfMissing : createTable != null ? createTable : true;
        }

        public void setCreateIfMissing(boolean createIfMissing) {
            this.createIfMissing = createIfMissing;
        }

        /**
         * The former name of {@code create-if-missing} (it covered only the jdbc-table backend).
         *
         * @deprecated use {@link #isCreateIfMissing()}
         */
        @Deprecated
        public boolean isCreateTable() {
            return isCreateIfMissing();
        }

        /**
         * Sets {@code create-if-missing} unless that is set itself.
         *
         * @deprecated use {@link #setCreateIfMissing(boolean)} ({@code holdfast.lock.jdbc.create-if-missing})
         */
        @Deprecated
        public void setCreateTable(boolean createTable) {
            this.createTable = createTable;
        }
    }

    /** {@code holdfast.lock.redis.*}: the redis backend. */
    public static class Redis {
        /** Prefix of the Redis keys of locks and fencing counters (default: the provider's). */
        private @Nullable String keyPrefix;

        public @Nullable String getKeyPrefix() {
            return keyPrefix;
        }

        public void setKeyPrefix(@Nullable String keyPrefix) {
            this.keyPrefix = keyPrefix;
        }
    }

    /** {@code holdfast.lock.zookeeper.*}: the zookeeper backend. */
    public static class Zookeeper {
        /** The ZooKeeper path under which lock nodes live. */
        private String basePath = "/holdfast/locks";

        public String getBasePath() {
            return basePath;
        }

        public void setBasePath(String basePath) {
            this.basePath = requireNonNull(basePath, "holdfast.lock.zookeeper.base-path");
        }
    }

    /** {@code holdfast.lock.leader.*}: leader election started with the application. */
    public static class Leader {
        /** Lock name to elect a leader on; when set, a LeaderElectionLifecycle bean takes part in the election. */
        private @Nullable String name;
        /** How long a crashed leader keeps leadership (a leader that shuts down gives it up at once). */
        private Duration leaseTime = Duration.ofSeconds(15);
        /** How long each attempt to become leader waits, and the pause after a backend failure. */
        private Duration retryInterval = Duration.ofSeconds(5);

        public @Nullable String getName() {
            return name;
        }

        public void setName(@Nullable String name) {
            if (name != null) {
                try {
                    LockRequest.validateName(name);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("holdfast.lock.leader.name: " + e.getMessage(), e);
                }
            }
            this.name = name;
        }

        public Duration getLeaseTime() {
            return leaseTime;
        }

        public void setLeaseTime(Duration leaseTime) {
            this.leaseTime = positive("holdfast.lock.leader.lease-time", leaseTime);
        }

        public Duration getRetryInterval() {
            return retryInterval;
        }

        public void setRetryInterval(Duration retryInterval) {
            this.retryInterval = positive("holdfast.lock.leader.retry-interval", retryInterval);
        }
    }

    /** {@code holdfast.lock.metrics.*}: Micrometer meters. */
    public static class Metrics {
        /** Whether to record holdfast.lock.* meters when a MeterRegistry bean exists. */
        private boolean enabled = true;
        /** Whether meters get a "lock" tag with the lock name (unbounded cardinality: off by default). */
        private boolean lockNameTag;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public boolean isLockNameTag() {
            return lockNameTag;
        }

        public void setLockNameTag(boolean lockNameTag) {
            this.lockNameTag = lockNameTag;
        }
    }
}
