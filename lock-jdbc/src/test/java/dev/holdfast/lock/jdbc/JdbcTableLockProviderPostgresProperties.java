package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderProperties;
import java.util.UUID;
import dev.holdfast.lock.Lease;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeContainer;

/** The kit's model-checked random schedules on the table-lease provider (Postgres). */
class JdbcTableLockProviderPostgresProperties extends LockProviderProperties {

    private static final TestDb DB = TestDb.postgres();
    private static final TableFaults FAULTS =
            new TableFaults(DB, "holdfast_lock_prop_" + UUID.randomUUID().toString().substring(0, 8));

    /** The provider creates its table on first use; a schedule may start with an expiry, so create it first. */
    @BeforeContainer
    static void createTable() {
        try (LockProvider provider = FAULTS.create()) {
            provider.tryAcquire("holdfast-properties-setup").ifPresent(Lease::release);
        } finally {
            FAULTS.sessions.clear();
            DB.afterEach(null);
        }
    }

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
