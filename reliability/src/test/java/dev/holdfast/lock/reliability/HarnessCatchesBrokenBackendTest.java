package dev.holdfast.lock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.testkit.harness.HarnessReport;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The checker is not vacuous: processes that do not exclude each other produce overlaps and stale writes. */
class HarnessCatchesBrokenBackendTest {

    @Test
    void reportsOverlapsAndRejectedValidWritesOfProcessesThatDoNotExcludeEachOther() {
        JdbcSettings pg = PostgresFixture.settings();
        HarnessReport report = HarnessRun.builder("in-memory-per-process", InMemoryWorkerBackend.class)
                .ledger(pg.url(), pg.user(), pg.password())
                .backend(Harness.host(pg), Harness.port(pg, 5432)) // unused: no faults
                .duration(Duration.ofSeconds(5))
                .workers(2).threads(2).names(2)
                .build().run();
        System.out.println("\n" + report.table());
        assertThat(report.violations()).anySatisfy(v -> assertThat(v).contains("overlap"));
        assertThat(report.violations()).anySatisfy(v -> assertThat(v).contains("token order"));
    }
}
