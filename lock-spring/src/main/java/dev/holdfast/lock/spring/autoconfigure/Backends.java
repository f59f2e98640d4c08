package dev.holdfast.lock.spring.autoconfigure;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockListener;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.spi.AbstractProviderBuilder;
import java.util.List;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.ClassUtils;

/**
 * Builds the provider that {@code holdfast.lock.backend} names from the application's own client bean.
 * Each backend's code sits in a nested class of its own, so a backend module that is not on the classpath
 * is never loaded; a backend whose module or client bean is missing fails with a message naming the
 * property and what to add.
 */
final class Backends {

    private static final String PROPERTY = "holdfast.lock.backend";

    private Backends() {
    }

    /** The backend to use: the property, else jdbc-table when there is exactly one DataSource bean. */
    static String choose(HoldfastLockProperties props, ListableBeanFactory beans) {
        String backend = props.getBackend();
        if (backend != null) {
            return backend;
        }
        if (ClassUtils.isPresent("javax.sql.DataSource", Backends.class.getClassLoader())
                && beans.getBeanProvider(DataSource.class).getIfUnique() != null) {
            return "jdbc-table";
        }
        throw new IllegalStateException(PROPERTY + " is not set and there is no single DataSource bean to default"
                + " to jdbc-table: set " + PROPERTY + " to one of " + String.join(", ", HoldfastLockProperties.BACKENDS));
    }

    static LockProvider create(String backend, HoldfastLockProperties props, ListableBeanFactory beans,
                               List<LockListener> listeners) {
        Consumer<AbstractProviderBuilder<?>> common = b -> {
            listeners.forEach(b::listener);
            if (props.getInstanceName() != null) {
                b.instanceName(props.getInstanceName());
            }
            b.tokensAbove(props.getTokensAbove());
        };
        return switch (backend) {
            case "jdbc-table" -> {
                need(backend, "dev.holdfast.lock.jdbc.JdbcTableLockProvider", "dev.holdfast:lock-jdbc");
                yield JdbcBackends.table(bean(beans, DataSource.class, backend), props, common);
            }
            case "postgres-advisory" -> {
                need(backend, "dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider", "dev.holdfast:lock-jdbc");
                yield JdbcBackends.advisory(bean(beans, DataSource.class, backend), props, common);
            }
            case "mysql" -> {
                need(backend, "dev.holdfast.lock.jdbc.MysqlLockProvider", "dev.holdfast:lock-jdbc");
                yield JdbcBackends.mysql(bean(beans, DataSource.class, backend), props, common);
            }
            case "redis" -> {
                need(backend, "dev.holdfast.lock.redis.RedisLockProvider", "dev.holdfast:lock-redis");
                need(backend, "org.redisson.api.RedissonClient", "org.redisson:redisson");
                yield RedisBackend.create(beans, props, common);
            }
            case "zookeeper" -> {
                need(backend, "dev.holdfast.lock.zookeeper.ZookeeperLockProvider", "dev.holdfast:lock-zookeeper");
                need(backend, "org.apache.curator.framework.CuratorFramework", "org.apache.curator:curator-recipes");
                yield ZookeeperBackend.create(beans, props, common);
            }
            case "in-memory" -> {
                InMemoryLockProvider.Builder b = InMemoryLockProvider.builder();
                common.accept(b);
                yield b.build();
            }
            default -> throw new IllegalStateException(PROPERTY + " must be one of "
                    + String.join(", ", HoldfastLockProperties.BACKENDS) + "; was '" + backend + "'");
        };
    }

    private static void need(String backend, String className, String artifact) {
        if (!ClassUtils.isPresent(className, Backends.class.getClassLoader())) {
            throw new IllegalStateException(PROPERTY + "=" + backend + " needs " + artifact + " on the classpath ("
                    + className + " is missing)");
        }
    }

    static <T> T bean(ListableBeanFactory beans, Class<T> type, String backend) {
        ObjectProvider<T> provider = beans.getBeanProvider(type);
        try {
            T bean = provider.getIfUnique();
            if (bean == null) {
                String[] names = beans.getBeanNamesForType(type);
                throw new IllegalStateException(PROPERTY + "=" + backend + " needs a " + type.getSimpleName()
                        + " bean, " + (names.length == 0 ? "but there is none"
                        : "but there are " + names.length + " " + List.of(names) + " and none is @Primary"));
            }
            return bean;
        } catch (NoSuchBeanDefinitionException e) {
            throw new IllegalStateException(PROPERTY + "=" + backend + " needs a single " + type.getSimpleName()
                    + " bean: " + e.getMessage(), e);
        }
    }

    private static final class JdbcBackends {
        static LockProvider table(DataSource ds, HoldfastLockProperties props, Consumer<AbstractProviderBuilder<?>> common) {
            var b = dev.holdfast.lock.jdbc.JdbcTableLockProvider.builder(ds)
                    .tableName(props.getJdbc().getTableName())
                    .statementTimeout(props.getJdbc().getStatementTimeout())
                    .createIfMissing(props.getJdbc().isCreateIfMissing());
            common.accept(b);
            return b.build();
        }

        static LockProvider advisory(DataSource ds, HoldfastLockProperties props, Consumer<AbstractProviderBuilder<?>> common) {
            var b = dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider.builder(ds)
                    .createIfMissing(props.getJdbc().isCreateIfMissing());
            common.accept(b);
            return b.build();
        }

        static LockProvider mysql(DataSource ds, HoldfastLockProperties props, Consumer<AbstractProviderBuilder<?>> common) {
            var b = dev.holdfast.lock.jdbc.MysqlLockProvider.builder(ds)
                    .createIfMissing(props.getJdbc().isCreateIfMissing());
            common.accept(b);
            return b.build();
        }
    }

    private static final class RedisBackend {
        static LockProvider create(ListableBeanFactory beans, HoldfastLockProperties props,
                                   Consumer<AbstractProviderBuilder<?>> common) {
            var client = bean(beans, org.redisson.api.RedissonClient.class, "redis");
            var b = dev.holdfast.lock.redis.RedisLockProvider.builder(client);
            @Nullable String prefix = props.getRedis().getKeyPrefix();
            if (prefix != null) {
                b.keyPrefix(prefix);
            }
            common.accept(b);
            return b.build();
        }
    }

    private static final class ZookeeperBackend {
        static LockProvider create(ListableBeanFactory beans, HoldfastLockProperties props,
                                   Consumer<AbstractProviderBuilder<?>> common) {
            var client = bean(beans, org.apache.curator.framework.CuratorFramework.class, "zookeeper");
            var b = dev.holdfast.lock.zookeeper.ZookeeperLockProvider.builder(client)
                    .basePath(props.getZookeeper().getBasePath());
            common.accept(b);
            return b.build();
        }
    }
}
