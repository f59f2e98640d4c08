package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

/** Harness worker side of the PostgreSQL advisory provider (fence sequence {@code harness.jdbc.fence}). */
public final class AdvisoryWorkerBackend extends JdbcWorkerBackend {

    @Override
    LockProvider provider(DataSource dataSource, Map<String, String> settings) {
        return PostgresAdvisoryLockProvider.builder(dataSource)
                .namespace("harness-" + settings.get("harness.run"))
                .fenceSequence(settings.get("harness.jdbc.fence"))
                .networkTimeout(Duration.ofMillis(1_500))
                .build();
    }
}
