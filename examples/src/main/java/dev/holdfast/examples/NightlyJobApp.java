package dev.holdfast.examples;

import dev.holdfast.lock.spring.Locked;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * A Spring Boot application with a scheduled job, as every server of the service runs it. Holdfast's
 * auto-configuration builds the lock provider from {@code holdfast.lock.*} properties and the application's
 * {@code DataSource}, {@code RedissonClient} or {@code CuratorFramework} bean; {@code @Locked} does the rest.
 *
 * <pre>
 * holdfast.lock.backend=postgres-advisory      # or jdbc-table, mysql, redis, zookeeper
 * </pre>
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
@EnableScheduling
public class NightlyJobApp {

    /** Broken: every server's scheduler fires the job, so every server sends the invoices. */
    static class UnguardedInvoiceRun {
        private final JdbcTemplate db;
        private final int server;

        UnguardedInvoiceRun(DataSource data, @Value("${demo.server}") int server) {
            this.db = new JdbcTemplate(data);
            this.server = server;
        }

        @Scheduled(cron = "* * * * * *") // "nightly", sped up to every second for the demo
        public void sendInvoices() {
            NightlyJobOnEveryServer.recordRun(db, server);
        }
    }

    /**
     * Fixed: the servers' schedulers still all fire, but only the one that takes the lock runs the job. The
     * lock stays taken for at least 900 ms (minHold, ShedLock's lockAtLeastFor), so a server whose clock or
     * scheduler fires a little late finds it taken instead of running the same tick again.
     */
    static class GuardedInvoiceRun {
        private final JdbcTemplate db;
        private final int server;

        GuardedInvoiceRun(DataSource data, @Value("${demo.server}") int server) {
            this.db = new JdbcTemplate(data);
            this.server = server;
        }

        @Scheduled(cron = "* * * * * *")
        @Locked(name = "${demo.lock-name}", leaseTime = "30s", minHold = "900ms")
        public void sendInvoices() {
            NightlyJobOnEveryServer.recordRun(db, server);
        }
    }
}
