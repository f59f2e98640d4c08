package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.spring.TestApps.Backend;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.EnableTransactionManagement;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** On a @Transactional @Locked method the lock is taken before the transaction starts and kept past its commit. */
class TransactionOrderTest {

    static class Ledger {
        private final List<String> seen = new CopyOnWriteArrayList<>();

        public List<String> seen() {
            return seen; // through a method: the bean is a class proxy, its own fields are not the target's
        }

        @Transactional
        @Locked(name = "#{#name}")
        public void write(String name) {
            seen.add("in transaction: " + TransactionSynchronizationManager.isActualTransactionActive()
                    + ", lock held: " + LockedContext.currentLease().map(l -> l.isHeld()).orElse(false));
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    seen.add("completed " + (status == STATUS_COMMITTED ? "commit" : "rollback") + ", lock held: "
                            + LockedContext.currentLease().map(l -> l.isHeld()).orElse(false));
                }
            });
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableTransactionManagement
    @Import(Ledger.class)
    static class App {
        @Bean
        PlatformTransactionManager transactionManager(DataSource dataSource) {
            return new DataSourceTransactionManager(dataSource);
        }
    }

    @Test
    void theLockCoversTheWholeTransaction() {
        try (ConfigurableApplicationContext app = TestApps.start(Backend.JDBC_TABLE, List.of(App.class), Map.of())) {
            Ledger ledger = app.getBean(Ledger.class);
            ledger.write(TestApps.unique("tx"));
            assertThat(ledger.seen()).containsExactly("in transaction: true, lock held: true",
                    "completed commit, lock held: true");
        }
    }
}
