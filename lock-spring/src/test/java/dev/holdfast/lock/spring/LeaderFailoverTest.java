package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.spring.TestApps.Backend;
import dev.holdfast.lock.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.EventListener;

/** Leadership moves to another node within the lease time when the leader's context closes. */
class LeaderFailoverTest {

    record Change(String context, boolean granted, long token, long atNanos, boolean lost) {
    }

    /** Leadership changes of all three "processes", in order. */
    static final class Changes {
        final List<Change> list = new CopyOnWriteArrayList<>();
    }

    static class Watcher {
        private final List<Change> changes;
        private final String context;

        Watcher(Changes changes, @Value("${test.context}") String context) {
            this.changes = changes.list;
            this.context = context;
        }

        @EventListener
        public void granted(LeadershipGrantedEvent e) {
            changes.add(new Change(context, true, e.lease().token(), System.nanoTime(), false));
        }

        @EventListener
        public void revoked(LeadershipRevokedEvent e) {
            changes.add(new Change(context, false, 0, System.nanoTime(), e.cause() != null));
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import(Watcher.class)
    static class App {
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void leadershipFailsOverWithinTheLeaseTimeWhenTheLeadersContextCloses(Backend backend) {
        Duration leaseTime = Duration.ofSeconds(6);
        Changes shared = new Changes();
        List<Change> changes = shared.list;
        String name = TestApps.unique("leader");
        List<ConfigurableApplicationContext> apps = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                apps.add(TestApps.start(backend, List.of(App.class), Map.of("changes", shared),
                        "test.context=node-" + i, "holdfast.lock.leader.name=" + name,
                        "holdfast.lock.leader.lease-time=" + leaseTime.toSeconds() + "s",
                        "holdfast.lock.leader.retry-interval=1s"));
            }
            Change first = Await.value(Duration.ofSeconds(10), "a leader", () ->
                    changes.stream().filter(Change::granted).findFirst().orElse(null));
            int leader = Integer.parseInt(first.context().substring("node-".length()));
            assertThat(apps.get(leader).getBean(LeaderElectionLifecycle.class).isLeader()).isTrue();
            assertThat(apps.stream().filter(a -> a.getBean(LeaderElectionLifecycle.class).isLeader()).count())
                    .as("leaders").isEqualTo(1);

            long closedAt = System.nanoTime();
            apps.get(leader).close();
            Change next = Await.value(leaseTime, "a new leader within the lease time", () -> changes.stream()
                    .filter(c -> c.granted() && !c.context().equals(first.context())).findFirst().orElse(null));
            Duration failover = Duration.ofNanos(next.atNanos() - closedAt);
            System.out.printf("%s leader failover on context close: %d ms%n", backend, failover.toMillis());
            assertThat(failover).isLessThan(leaseTime);
            assertThat(next.token()).as("fencing token of the new leader").isGreaterThan(first.token());
            assertThat(changes).as("old leader told before the new one gained")
                    .filteredOn(c -> c.context().equals(first.context()) && !c.granted()).hasSize(1)
                    .allSatisfy(c -> assertThat(c.atNanos()).isLessThanOrEqualTo(next.atNanos()));
        } finally {
            apps.forEach(ConfigurableApplicationContext::close);
        }
    }

    /**
     * The leader is cut off from the backend (its client closed under it) instead of shutting down: it
     * stops believing it leads at its conservative local deadline, before the backend's lease runs out and
     * another node takes over.
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"JDBC_TABLE", "REDIS"})
    void aLeaderCutOffFromTheBackendStepsDownBeforeTheNextLeaderStarts(Backend backend) {
        Duration leaseTime = Duration.ofSeconds(3);
        Changes shared = new Changes();
        List<Change> changes = shared.list;
        String name = TestApps.unique("leader-cut");
        List<ConfigurableApplicationContext> apps = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                apps.add(TestApps.start(backend, List.of(App.class), Map.of("changes", shared),
                        "test.context=node-" + i, "holdfast.lock.leader.name=" + name,
                        "holdfast.lock.leader.lease-time=" + leaseTime.toSeconds() + "s",
                        "holdfast.lock.leader.retry-interval=500ms"));
            }
            Change first = Await.value(Duration.ofSeconds(10), "a leader", () ->
                    changes.stream().filter(Change::granted).findFirst().orElse(null));
            ConfigurableApplicationContext leader = apps.get(Integer.parseInt(first.context().substring("node-".length())));
            long cutAt = System.nanoTime();
            if (backend == Backend.REDIS) {
                leader.getBean(org.redisson.api.RedissonClient.class).shutdown();
            } else {
                leader.getBean(com.zaxxer.hikari.HikariDataSource.class).close();
            }
            Change next = Await.value(leaseTime.plusSeconds(5), "a new leader", () -> changes.stream()
                    .filter(c -> c.granted() && !c.context().equals(first.context())).findFirst().orElse(null));
            Change stepDown = changes.stream().filter(c -> c.context().equals(first.context()) && !c.granted())
                    .findFirst().orElseThrow(() -> new AssertionError("the old leader was never told: " + changes));
            System.out.printf("%s leader cut off: stepped down after %d ms, next leader after %d ms%n", backend,
                    Duration.ofNanos(stepDown.atNanos() - cutAt).toMillis(), Duration.ofNanos(next.atNanos() - cutAt).toMillis());
            assertThat(stepDown.lost()).as("told with the cause").isTrue();
            assertThat(stepDown.atNanos()).as("old leader stepped down before the new one started")
                    .isLessThan(next.atNanos());
            assertThat(next.token()).isGreaterThan(first.token());
        } finally {
            apps.forEach(ConfigurableApplicationContext::close);
        }
    }
}
