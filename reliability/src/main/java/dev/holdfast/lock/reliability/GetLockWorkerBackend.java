package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.MysqlLockProvider;
import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

/** Harness worker side of the MariaDB {@code GET_LOCK} provider (fence sequence {@code harness.jdbc.fence}). */
public final class GetLockWorkerBackend extends JdbcWorkerBackend {

    @Override
    LockProvider provider(DataSource dataSource, Map<String, String> settings) {
        return MysqlLockProvider.builder(dataSource)
                .fenceSequence(settings.get("harness.jdbc.fence"))
                .networkTimeout(Duration.ofMillis(1_500))
                .build();
    }
}
