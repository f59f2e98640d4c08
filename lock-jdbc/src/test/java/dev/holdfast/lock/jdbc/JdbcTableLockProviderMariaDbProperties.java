package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderProperties;
import java.util.UUID;
import net.jqwik.api.lifecycle.AfterTry;

/** The kit's model-checked random schedules on the table-lease provider (MariaDb). */
class JdbcTableLockProviderMariaDbProperties extends LockProviderProperties {

    private static final TestDb DB = TestDb.mariadb();
    private static final TableFaults FAULTS =
            new TableFaults(DB, "holdfast_lock_prop_" + UUID.randomUUID().toString().substring(0, 8));

    @AfterTry
    void closePools() {
        FAULTS.sessions.clear();
        DB.afterEach(null);
    }

    @Override
    protected LockProvider createProvider() {
        return FAULTS.create();
    }

    @Override
    protected Faults faults() {
        return FAULTS;
    }
}
