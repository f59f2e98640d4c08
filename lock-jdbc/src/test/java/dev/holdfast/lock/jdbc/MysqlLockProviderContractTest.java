package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.extension.RegisterExtension;

/** MysqlLockProvider on MariaDB 10.11 (GET_LOCK). */
class MysqlLockProviderContractTest extends LockProviderContract {

    @RegisterExtension
    static final TestDb DB = TestDb.mariadb();

    private final Map<LockProvider, Set<Long>> sessions = new ConcurrentHashMap<>();

    @Override
    protected LockProvider createProvider() {
        return createProvider(0);
    }

    @Override
    protected LockProvider createProvider(long tokensAbove) {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        LockProvider p = MysqlLockProvider.builder(DB.direct(ids)).createIfMissing(true).tokensAbove(tokensAbove).build();
        sessions.put(p, ids);
        return p;
    }

    @Override
    protected Faults faults() {
        return new Faults() {
            @Override
            public void expire(String name) {
                try (Connection c = DB.admin(); PreparedStatement ps = c.prepareStatement("SELECT IS_USED_LOCK(?)")) {
                    ps.setString(1, LockKeys.getLockKey(name));
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        long holder = rs.getLong(1);
                        if (!rs.wasNull() && DB.sessions.contains(holder)) {
                            DB.kill(List.of(holder)); // a GET_LOCK lock expires only with its session
                        }
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public LockProvider createUnreachableProvider() {
                return DB.goesDownAfterBuild(ds -> MysqlLockProvider.builder(ds).build());
            }

            @Override
            public void cutConnections(LockProvider provider) {
                DB.kill(List.copyOf(sessions.getOrDefault(provider, Set.of())));
            }

            /*
             * Every send of the provider's next lock statement runs on the server (the lock is taken and a token
             * drawn), then its connection is cut before the reply is read; the provider's own retry included.
             */
            @Override
            public Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
                Set<Long> ids = sessions.get(provider);
                if (ids == null) {
                    throw new IllegalArgumentException("not a provider of this fixture: " + provider);
                }
                IntSupplier lost = DB.failNext(ids, "GET_LOCK(?, 0)", TestDb.FaultAction.REPLY_LOST, 2);
                return Optional.of(() -> lost.getAsInt() > 0);
            }

            @Override
            public void restartBackend() {
                DB.killAll();
            }
        };
    }
}
