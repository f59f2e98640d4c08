package dev.holdfast.lock.spring.autoconfigure;

import dev.holdfast.lock.Guard;
import dev.holdfast.lock.LockListener;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.spring.LeaderElectionLifecycle;
import dev.holdfast.lock.spring.LockTemplate;
import dev.holdfast.lock.spring.LockedBeanPostProcessor;
import dev.holdfast.lock.spring.MicrometerLockListener;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring Boot auto-configuration of Holdfast:
 * <ul>
 *   <li>a {@link LockProvider} for {@code holdfast.lock.backend} (jdbc-table, postgres-advisory, mysql,
 *       redis, zookeeper, in-memory), built on the application's {@code DataSource}, {@code RedissonClient}
 *       or {@code CuratorFramework} bean; with no property and a single {@code DataSource}, jdbc-table. The
 *       JDBC backends create what they need at startup if it is missing (the lock table, the fencing
 *       sequence or fence table) unless {@code holdfast.lock.jdbc.create-if-missing=false} (formerly
 *       {@code create-table}, now deprecated); then startup fails naming the missing object and its DDL
 *       file, as it does when the database cannot be reached. An application that declares its own
 *       {@code LockProvider} bean keeps it;</li>
 *   <li>{@link LockTemplate} and {@link Guard} beans, and {@link LockedBeanPostProcessor} for {@code @Locked};</li>
 *   <li>{@link MicrometerLockListener} meters when a {@code MeterRegistry} bean exists
 *       ({@code holdfast.lock.metrics.*});</li>
 *   <li>a {@link LeaderElectionLifecycle} when {@code holdfast.lock.leader.name} is set.</li>
 * </ul>
 * {@link LockListener} beans are attached to the auto-configured provider.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.redisson.spring.starter.RedissonAutoConfigurationV2",
        "org.redisson.spring.starter.RedissonAutoConfiguration"})
@EnableConfigurationProperties(HoldfastLockProperties.class)
public class HoldfastLockAutoConfiguration {

    /** The provider; closed with the context (its leases are given up, the client beans stay open). */
    @Bean
    @ConditionalOnMissingBean(LockProvider.class)
    public LockProvider holdfastLockProvider(HoldfastLockProperties properties, ListableBeanFactory beans,
                                             ObjectProvider<LockListener> listeners,
                                             ObjectProvider<HoldfastMetricsListenerFactory> metrics) {
        String backend = Backends.choose(properties, beans);
        List<LockListener> all = new ArrayList<>(listeners.orderedStream().toList());
        metrics.orderedStream().map(HoldfastMetricsListenerFactory::listener).filter(Objects::nonNull).forEach(all::add);
        return Backends.create(backend, properties, beans, all);
    }

    @Bean
    @ConditionalOnMissingBean
    public LockTemplate holdfastLockTemplate(LockProvider provider, HoldfastLockProperties properties) {
        return new LockTemplate(provider, properties.getLeaseTime(), properties.getWaitTime());
    }

    @Bean
    @ConditionalOnMissingBean
    public Guard holdfastGuard(LockProvider provider) {
        return Guard.using(provider);
    }

    @Bean
    @ConditionalOnMissingBean
    public static LockedBeanPostProcessor holdfastLockedBeanPostProcessor() {
        return new LockedBeanPostProcessor();
    }

    @Bean
    @ConditionalOnProperty(prefix = "holdfast.lock.leader", name = "name")
    @ConditionalOnMissingBean
    public LeaderElectionLifecycle holdfastLeaderElection(LockProvider provider, HoldfastLockProperties properties) {
        HoldfastLockProperties.Leader leader = properties.getLeader();
        return new LeaderElectionLifecycle(provider, Objects.requireNonNull(leader.getName()), leader.getLeaseTime(),
                leader.getRetryInterval());
    }

    /** Meters, when Micrometer is on the classpath; the registry bean is looked up when the provider is built. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    @ConditionalOnProperty(prefix = "holdfast.lock.metrics", name = "enabled", matchIfMissing = true)
    static class Metrics {
        @Bean
        HoldfastMetricsListenerFactory holdfastMetricsListenerFactory(ObjectProvider<MeterRegistry> registry,
                                                                      HoldfastLockProperties properties) {
            return () -> {
                MeterRegistry r = registry.getIfUnique();
                return r == null ? null : new MicrometerLockListener(r, properties.getMetrics().isLockNameTag());
            };
        }
    }
}
