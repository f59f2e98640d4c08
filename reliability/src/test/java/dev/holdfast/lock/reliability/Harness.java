package dev.holdfast.lock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.testkit.harness.FaultKind;
import dev.holdfast.lock.testkit.harness.HarnessReport;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import dev.holdfast.lock.testkit.harness.WorkerBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What every backend's harness test shares: the run's shape, the ledger, the checks and the printed table. */
final class Harness {

    /** Seconds of faults per run: {@code -Dharness.seconds=300} for a long run (default 40). */
    static final int SECONDS = Integer.getInteger("harness.seconds", 40);

    private static final Pattern HOST_PORT = Pattern.compile("^jdbc:[a-z]+://([^:/]+)(?::(\\d+))?/.*$");

    private Harness() {
    }

    /** A random suffix for this run's tables, sequences and session names. */
    static String suffix() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** A run of {@code SECONDS} with 3 workers x 3 threads on 6 names, lease 2 s, a fault every ~3 s. */
    static HarnessRun.Builder builder(String label, Class<? extends WorkerBackend> backend) {
        JdbcSettings pg = PostgresFixture.settings();
        return HarnessRun.builder(label, backend)
                .ledger(pg.url(), pg.user(), pg.password())
                .duration(Duration.ofSeconds(SECONDS))
                .workers(3).threads(3).names(6)
                .leaseTime(Duration.ofSeconds(2))
                .waitTime(Duration.ofMillis(250))
                .workTime(Duration.ofMillis(10))
                .faultEvery(Duration.ofSeconds(3));
    }

    /** The host of a JDBC URL. */
    static String host(JdbcSettings db) {
        Matcher m = match(db);
        return m.group(1);
    }

    /** The port of a JDBC URL ({@code defaultPort} if it names none). */
    static int port(JdbcSettings db, int defaultPort) {
        Matcher m = match(db);
        return m.group(2) == null ? defaultPort : Integer.parseInt(m.group(2));
    }

    private static Matcher match(JdbcSettings db) {
        Matcher m = HOST_PORT.matcher(db.url());
        if (!m.matches()) {
            throw new IllegalStateException("cannot find host and port in " + db.url());
        }
        return m;
    }

    /** Runs, prints the table (also to target/harness/label.txt), and checks: no violation, every fault kind injected. */
    static HarnessReport runAndCheck(String label, HarnessRun run, FaultKind... kinds) {
        HarnessReport report = run.run();
        String table = report.table();
        System.out.println("\n" + table);
        try {
            Path out = Path.of("target", "harness");
            Files.createDirectories(out);
            Files.writeString(out.resolve(label + ".txt"), table);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        report.assertNoViolations();
        for (FaultKind k : kinds) {
            assertThat(report.faults(k)).as("faults of kind %s injected", k).isPositive();
        }
        assertThat(report.grants()).as("grants").isGreaterThan(100);
        return report;
    }
}
