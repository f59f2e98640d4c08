package dev.holdfast.examples;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Stories 2 and 3 from Spring Boot: a scheduled job ("send the day's invoices") runs on every server of a
 * scaled-out service, so each tick's work is done once per server. Each replica starts the
 * {@link NightlyJobApp} for a few seconds; the fix is one annotation, {@code @Locked}, on the
 * {@code @Scheduled} method.
 */
final class NightlyJobOnEveryServer implements Story {

    /** How long each server's application runs (ticks once a second). */
    static final long RUN_MILLIS = 5_000;

    @Override
    public String id() {
        return "scheduled";
    }

    @Override
    public String title() {
        return "A @Scheduled job runs on every server (Spring Boot)";
    }

    @Override
    public String feature() {
        return "@Locked on the @Scheduled method";
    }

    @Override
    public String scale(int size) {
        return "every replica is a server running the application for " + RUN_MILLIS / 1000 + " s";
    }

    @Override
    public void prepare(DataSource data, int size) {
        JdbcTemplate db = new JdbcTemplate(data);
        db.execute("DROP TABLE IF EXISTS job_run");
        db.execute("DROP TABLE IF EXISTS server_up");
        db.execute("CREATE TABLE job_run (tick BIGINT NOT NULL, server INT NOT NULL)");
        db.execute("CREATE TABLE server_up (server INT NOT NULL, started BIGINT NOT NULL, stopped BIGINT NOT NULL)");
    }

    /** What the job does on a tick: here, note which server ran which tick (the nearest second: a late firing counts for the tick it is closest to). */
    static void recordRun(JdbcTemplate db, int server) {
        db.update("INSERT INTO job_run VALUES (?, ?)", Math.round(System.currentTimeMillis() / 1000.0), server);
    }

    @Override
    public void work(Job job) throws InterruptedException {
        if (job.thread() != 0) {
            return; // one application per replica
        }
        Settings settings = job.settings();
        List<AutoCloseable> clients = new ArrayList<>();
        Map<String, Object> beans = new HashMap<>();
        beans.put("dataSource", job.data());
        List<String> properties = new ArrayList<>(List.of(
                "demo.server=" + job.replica(),
                "demo.lock-name=" + job.lockName("nightly-invoice-run"),
                "holdfast.lock.redis.key-prefix=holdfast-demo-" + job.runId() + ":",
                "holdfast.lock.zookeeper.base-path=/holdfast-demo/" + job.runId()));
        switch (settings.backend()) {
            case "postgres" -> properties.add("holdfast.lock.backend=postgres-advisory");
            case "mariadb" -> properties.add("holdfast.lock.backend=mysql");
            case "redis" -> {
                properties.add("holdfast.lock.backend=redis");
                var redisson = settings.redisson();
                clients.add(redisson::shutdown);
                beans.put("redisson", redisson);
            }
            default -> {
                properties.add("holdfast.lock.backend=zookeeper");
                var curator = settings.curator();
                clients.add(curator);
                beans.put("curator", curator);
            }
        }
        try {
            try (ConfigurableApplicationContext app = new SpringApplicationBuilder(NightlyJobApp.class,
                    job.guarded() ? NightlyJobApp.GuardedInvoiceRun.class : NightlyJobApp.UnguardedInvoiceRun.class)
                    .web(WebApplicationType.NONE)
                    .bannerMode(Banner.Mode.OFF)
                    .logStartupInfo(false)
                    .properties(properties.toArray(String[]::new))
                    .initializers(ctx -> beans.forEach(ctx.getBeanFactory()::registerSingleton))
                    .run()) {
                long started = System.currentTimeMillis();
                for (long t = 0; t < RUN_MILLIS; t += 1000) {
                    Thread.sleep(1000);
                    job.done();
                }
                new JdbcTemplate(job.data()).update("INSERT INTO server_up VALUES (?, ?, ?)", job.replica(), started,
                        System.currentTimeMillis());
            }
        } finally {
            for (AutoCloseable c : clients) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @Override
    public Tally tally(DataSource data, int size, int workers) {
        JdbcTemplate db = new JdbcTemplate(data);
        long extraRuns = db.queryForObject("SELECT COUNT(*) - COUNT(DISTINCT tick) FROM job_run", Long.class);
        // ticks missed: whole seconds while every server was up (a second's margin each side) that nobody ran
        long from = db.queryForObject("SELECT MAX(started) FROM server_up", Long.class) / 1000 + 2;
        long to = db.queryForObject("SELECT MIN(stopped) FROM server_up", Long.class) / 1000 - 1;
        long ran = db.queryForObject("SELECT COUNT(DISTINCT tick) FROM job_run WHERE tick BETWEEN ? AND ?",
                Long.class, from, to);
        return new Tally(extraRuns, Math.max(0, to - from + 1 - ran));
    }
}
