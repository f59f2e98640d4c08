package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import java.util.Map;
import javax.sql.DataSource;

/** Harness worker side of the table-lease provider (table {@code harness.jdbc.table}, made by the test). */
public final class TableLeaseWorkerBackend extends JdbcWorkerBackend {

    @Override
    LockProvider provider(DataSource dataSource, Map<String, String> settings) {
        return JdbcTableLockProvider.builder(dataSource).tableName(settings.get("harness.jdbc.table")).build();
    }
}
