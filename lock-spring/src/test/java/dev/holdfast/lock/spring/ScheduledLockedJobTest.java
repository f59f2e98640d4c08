package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.spring.TestApps.Backend;
import dev.holdfast.lock.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/** The ShedLock use case: a scheduled job on three application contexts runs once per tick. */
class ScheduledLockedJobTest {

    /** Tick records shared by the three "processes": tick number -> contexts that ran it. */
    static final class Ticks {
        final Map<Long, List<String>> runs = new ConcurrentHashMap<>();
    }

    static class TickJob {
        private final Ticks ticks;
        private final String context;

        TickJob(Ticks ticks, @Value("${test.context}") String context) {
            this.ticks = ticks;
            this.context = context;
        }

        // every 2 s on the wall clock; the lock stays taken 1.5 s so a context whose tick fires late skips it
        @Scheduled(cron = "*/2 * * * * *")
        @Locked(name = "${test.job-lock}", leaseTime = "10s", minHold = "1500ms")
        public void tick() {
            long tick = Math.round(System.currentTimeMillis() / 2000.0);
            ticks.runs.computeIfAbsent(tick, t -> new CopyOnWriteArrayList<>()).add(context);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableScheduling
    @Import(TickJob.class)
    static class JobApp {
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aScheduledLockedJobOnThreeContextsRunsOncePerTick(Backend backend) {
        Ticks ticks = new Ticks();
        String lock = TestApps.unique("tick-job");
        List<ConfigurableApplicationContext> apps = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                apps.add(TestApps.start(backend, List.of(JobApp.class), Map.of("ticks", ticks),
                        "test.context=node-" + i, "test.job-lock=" + lock));
            }
            long firstFullTick = Math.round(System.currentTimeMillis() / 2000.0) + 1; // all three were up for it
            Await.until(Duration.ofSeconds(20), "four ticks after all contexts started",
                    () -> ticks.runs.keySet().stream().filter(t -> t >= firstFullTick).count() >= 4);
        } finally {
            apps.forEach(ConfigurableApplicationContext::close);
        }
        assertThat(ticks.runs).as("tick -> contexts that ran it").allSatisfy((tick, ran) ->
                assertThat(ran).as("tick %d", tick).hasSize(1));
        assertThat(ticks.runs.values().stream().map(l -> l.get(0)).distinct().count())
                .as("some node ran the job").isGreaterThanOrEqualTo(1);
    }
}
