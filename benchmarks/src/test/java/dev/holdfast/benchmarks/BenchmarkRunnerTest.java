package dev.holdfast.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Runs the harness briefly (smoke mode) against the local servers: it must print its tables, Holdfast must
 * never answer "busy" for a free name, and its claim queue must never do a job twice. Never asserts speed: the machine is shared and noisy.
 */
class BenchmarkRunnerTest {

    @Test
    void smokeRunPrintsEveryTableAndHoldfastNeverReportsAFreeLockBusyNorDoesAJobTwice() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BenchmarkRunner.Report report;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            report = BenchmarkRunner.run(Mode.SMOKE, Set.of(1, 2, 3, 4), EnumSet.allOf(Kind.Backend.class), out);
        }
        String text = buf.toString(StandardCharsets.UTF_8);

        assertThat(report.holdfastFalseBusy()).isZero();
        assertThat(report.holdfastDuplicates()).isZero();
        assertThat(report.tables()).hasSize(4 + 4 + 1 + 2);
        assertThat(report.tables()).allSatisfy(t -> assertThat(t.rowCount()).isPositive());
        assertThat(text).contains("### Scenario 1", "### Scenario 2", "### Scenario 3", "### Scenario 4", "| contender |",
                "Holdfast PostgresAdvisoryLockProvider", "Redisson RFencedLock", "Curator InterProcessMutex",
                "ShedLock JdbcTemplateLockProvider", "Spring Integration ZookeeperLockRegistry");
        // Every Holdfast row of scenario 1 answered "0 of N" busy at 16 threads.
        report.tables().stream().filter(t -> t.toString().contains("Scenario 1")).forEach(t ->
                t.rows().stream().filter(r -> r.get(0).startsWith("**Holdfast"))
                        .forEach(r -> assertThat(r.get(r.size() - 1)).startsWith("0 of ")));
        // Every Holdfast row of scenario 3 held all its leases and lost none.
        report.tables().stream().filter(t -> t.toString().contains("Scenario 3")).forEach(t ->
                t.rows().stream().filter(r -> r.get(0).startsWith("**Holdfast")).forEach(r -> {
                    assertThat(r.get(1)).isEqualTo(String.valueOf(Mode.SMOKE.leases()));
                    assertThat(r.get(r.size() - 1)).isEqualTo("0");
                }));
    }
}
