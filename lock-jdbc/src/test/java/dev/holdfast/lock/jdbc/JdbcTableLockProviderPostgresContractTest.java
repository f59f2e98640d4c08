package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The table-lease provider on Postgres. */
class JdbcTableLockProviderPostgresContractTest extends LockProviderContract {

    @RegisterExtension
    static final TestDb DB = TestDb.postgres();
    static final TableFaults FAULTS = new TableFaults(DB, "holdfast_lock");

    @Override
    protected LockProvider createProvider() {
        return FAULTS.create();
    }

    @Override
    protected LockProvider createProvider(long tokensAbove) {
        return FAULTS.create(tokensAbove);
    }

    @Override
    protected Faults faults() {
        return FAULTS;
    }
}
