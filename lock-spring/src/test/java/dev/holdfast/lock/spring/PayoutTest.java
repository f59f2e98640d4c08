package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.spring.TestApps.Backend;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** A @Locked payout method called from 16 threads on two application contexts pays each seller once. */
class PayoutTest {

    record Seller(String id) {
    }

    record Payment(String seller, String context, long token) {
    }

    /** The payment gateway both "processes" write to. */
    static final class Gateway {
        final Map<String, List<Payment>> payments = new ConcurrentHashMap<>();

        boolean paid(String seller) {
            return payments.containsKey(seller);
        }

        void pay(Payment p) {
            payments.computeIfAbsent(p.seller(), s -> new CopyOnWriteArrayList<>()).add(p);
        }
    }

    static class Payouts {
        private final Gateway gateway;
        private final String context;

        Payouts(Gateway gateway, @Value("${test.context}") String context) {
            this.gateway = gateway;
            this.context = context;
        }

        /** Check, then pay: a race without the lock (the check and the write are 20 ms apart). */
        @Locked(name = "${test.prefix}:#{#seller.id}", leaseTime = "10s", onBusy = Locked.OnBusy.WAIT, waitTime = "30s")
        public @Nullable Payment pay(Seller seller) throws InterruptedException {
            if (gateway.paid(seller.id())) {
                return null;
            }
            Thread.sleep(20);
            Lease lease = LockedContext.currentLease().orElseThrow();
            Payment p = new Payment(seller.id(), context, lease.token());
            gateway.pay(p);
            return p;
        }
    }

    /** The same check-then-pay without the lock: the race the lock prevents (the test's control). */
    static class UnlockedPayouts {
        private final Gateway gateway;

        UnlockedPayouts(Gateway gateway) {
            this.gateway = gateway;
        }

        public void pay(Seller seller) throws InterruptedException {
            if (!gateway.paid(seller.id())) {
                Thread.sleep(20);
                gateway.pay(new Payment(seller.id(), "unlocked", 0));
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import(Payouts.class)
    static class PayoutApp {
    }

    @Test
    void withoutTheLockTheSameCallsPayTwice() throws Exception {
        Gateway gateway = new Gateway();
        UnlockedPayouts payouts = new UnlockedPayouts(gateway);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> calls = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    payouts.pay(new Seller("s1"));
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : calls) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(gateway.payments.get("s1")).as("the race is real").hasSizeGreaterThan(1);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void sixteenConcurrentCallersPayEachSellerOnce(Backend backend) throws Exception {
        Gateway gateway = new Gateway();
        String prefix = TestApps.unique("payout");
        List<Seller> sellers = List.of(new Seller("s1"), new Seller("s2"), new Seller("s3"), new Seller("s4"));
        List<ConfigurableApplicationContext> apps = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int i = 0; i < 2; i++) {
                apps.add(TestApps.start(backend, List.of(PayoutApp.class), Map.of("gateway", gateway),
                        "test.context=node-" + i, "test.prefix=" + prefix));
            }
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> calls = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                Payouts payouts = apps.get(t % 2).getBean(Payouts.class);
                calls.add(pool.submit(() -> {
                    List<Seller> order = new ArrayList<>(sellers);
                    Collections.shuffle(order);
                    go.await();
                    int paid = 0;
                    for (Seller s : order) {
                        if (payouts.pay(s) != null) {
                            paid++;
                        }
                    }
                    return paid;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : calls) {
                total += f.get(120, TimeUnit.SECONDS);
            }
            assertThat(total).as("calls that paid").isEqualTo(sellers.size());
        } finally {
            pool.shutdownNow();
            apps.forEach(ConfigurableApplicationContext::close);
        }
        assertThat(gateway.payments).hasSize(sellers.size());
        assertThat(gateway.payments).allSatisfy((seller, payments) -> assertThat(payments).as(seller).hasSize(1));
        assertThat(gateway.payments.values().stream().map(l -> l.get(0).token())).allMatch(token -> token > 0);
    }
}
