package dev.holdfast.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.testkit.Await;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.redisson.api.RedissonClient;

/**
 * Redis-only cases, each on throwaway {@code redis-server} processes of its own (restart, CLIENT KILL,
 * CLIENT PAUSE, failover): never the shared server.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisLockProviderTest {

    private static final Duration PATIENCE = Duration.ofSeconds(15);

    private final RedisClients clients = new RedisClients();
    private final List<RedisServerProcess> servers = new ArrayList<>();
    private final List<RedisLockProvider> providers = new CopyOnWriteArrayList<>();
    private final Map<RedisLockProvider, String> clientNames = new ConcurrentHashMap<>();
    private final String prefix = RedisFixture.keyPrefix("store");
    private RedisServerProcess redis;

    @BeforeEach
    void startServer() {
        redis = server(RedisServerProcess.start());
    }

    @AfterEach
    void stopEverything() {
        providers.forEach(RedisLockProvider::close);
        clients.close();
        servers.forEach(RedisServerProcess::close);
    }

    private RedisServerProcess server(RedisServerProcess s) {
        servers.add(s);
        return s;
    }

    private RedisLockProvider provider(RedisServerProcess on) {
        return provider(on, b -> b);
    }

    private RedisLockProvider provider(RedisServerProcess on, UnaryOperator<RedisLockProvider.Builder> options) {
        String clientName = RedisClients.uniqueName("holdfast-store-test");
        RedissonClient client = clients.create(on.address(), clientName);
        RedisLockProvider p = options.apply(RedisLockProvider.builder(client).keyPrefix(prefix)).build();
        providers.add(p);
        clientNames.put(p, clientName);
        return p;
    }

    private static String unique(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static LockRequest lease(String name, Duration leaseTime) {
        return LockRequest.named(name).leaseTime(leaseTime).build();
    }

    private static Lease grant(RedisLockProvider p, LockRequest request) {
        Optional<Lease> lease = p.tryAcquire(request);
        assertThat(lease).as("lease on free lock '%s'", request.name()).isPresent();
        return lease.get();
    }

    private static Lease takeWhenPossible(RedisLockProvider p, LockRequest request) {
        return Await.value(PATIENCE, "lock '" + request.name() + "' can be taken", () -> {
            try {
                return p.tryAcquire(request).orElse(null);
            } catch (LockBackendException reconnecting) {
                return null;
            }
        });
    }

    /** A resource that accepts a write only with a token at least as high as any it has seen. */
    static final class FencedResource {
        private long highest;
        private final List<String> accepted = new ArrayList<>();

        synchronized boolean write(long token, String what) {
            if (token < highest) {
                return false;
            }
            highest = token;
            accepted.add(what);
            return true;
        }

        synchronized List<String> accepted() {
            return List.copyOf(accepted);
        }
    }

    // ------------------------------------------------------------------ restart

    @Test
    void restartLosesEveryLeaseAndTokensKeepIncreasingFromTheServerClock() {
        RedisLockProvider p = provider(redis);
        List<Lease> leases = new ArrayList<>();
        List<LossReason> reasons = new CopyOnWriteArrayList<>();
        long highest = 0;
        for (int i = 0; i < 3; i++) {
            Lease l = grant(p, lease(unique("restart-" + i), Duration.ofSeconds(1)));
            l.onLost(e -> reasons.add(e.reason()));
            leases.add(l);
            highest = Math.max(highest, l.token());
        }
        redis.restart();
        Await.until(PATIENCE, "every lease reports lost", () -> leases.stream().noneMatch(Lease::isHeld));
        Await.until(PATIENCE, "every loss listener ran", () -> reasons.size() == 3);
        assertThat(reasons).allMatch(r -> r == LossReason.REFUSED || r == LossReason.RENEWAL_FAILED || r == LossReason.EXPIRED);
        for (Lease old : leases) {
            try (Lease again = takeWhenPossible(p, lease(old.name(), Duration.ofSeconds(5)))) {
                assertThat(again.token()).as("token after restart (counter lost, seeded from TIME)").isGreaterThan(old.token());
            }
        }
    }

    @Test
    void tokensFollowTheCounterWhileItSurvivesAndCanGoBackOnlyWhenItIsLostAheadOfTheClock() {
        RedisLockProvider p = provider(redis);
        String name = unique("counter");
        Lease first = grant(p, lease(name, Duration.ofSeconds(5)));
        first.release();
        // a counter ahead of the server clock (as after a burst faster than 1 grant/µs, or a clock stepped back)
        long ahead = first.token() + 3_600_000_000L; // one hour of microseconds
        redis.call("SET", new RedisKeys(prefix).of(name).fence(), Long.toString(ahead));
        Lease second = grant(p, lease(name, Duration.ofSeconds(5)));
        assertThat(second.token()).as("while the counter survives: counter + 1").isEqualTo(ahead + 1);
        second.release();
        Lease third = grant(p, lease(name, Duration.ofSeconds(5)));
        assertThat(third.token()).isEqualTo(ahead + 2);
        third.release();

        redis.restart(); // no persistence: the counter is gone
        Lease afterRestart = takeWhenPossible(p, lease(name, Duration.ofSeconds(5)));
        // documented caveat: the new counter starts from TIME, which is behind the lost counter here
        assertThat(afterRestart.token()).as("counter lost while ahead of the clock: the token goes back")
                .isLessThan(third.token())
                .isGreaterThan(first.token());
        afterRestart.release();
    }

    @Test
    void scriptsAreReloadedAfterTheServerForgetsThem() {
        RedisLockProvider p = provider(redis);
        grant(p, lease(unique("before-flush"), Duration.ofSeconds(5))).release();
        redis.call("SCRIPT", "FLUSH");
        String name = unique("after-flush");
        Lease l = grant(p, lease(name, Duration.ofSeconds(5)));
        l.extend(Duration.ofSeconds(6));
        assertThat(l.release()).isTrue();
        assertThat(p.inspect(name)).isEmpty();
    }

    // ------------------------------------------------------------------ CLIENT KILL

    @Test
    void killedConnectionsAreReplacedAndRenewalCarriesOn() {
        RedisLockProvider p = provider(redis);
        String name = unique("kill");
        // A 3 s lease renews every second and retries a failed renewal every 300 ms; killing every 300 ms for
        // 4 s forces renewals through fresh connections. (With 1.5 s leases, Redisson's own retry of a command
        // on a killed connection could land after the key's TTL — a real loss, reported as such — on JDK 25.)
        Lease l = grant(p, lease(name, Duration.ofMillis(3000)));
        try (RespClient admin = redis.connect()) {
            long end = System.nanoTime() + Duration.ofMillis(4000).toNanos(); // four renewals
            int killed = 0;
            while (System.nanoTime() < end) {
                killed += admin.killClientsNamed(clientNames.get(p));
                Await.sleep(Duration.ofMillis(300));
            }
            assertThat(killed).as("connections killed").isPositive();
        }
        assertThat(l.isHeld()).as("the lock lives in the key's TTL, not in the connection").isTrue();
        LockInfo info = p.inspect(name).orElseThrow();
        assertThat(info.token()).isEqualTo(l.token());
        assertThat(info.ownerId()).isEqualTo(l.ownerId());
        assertThat(l.release()).isTrue();
    }

    @Test
    void leaseWhoseRenewalCannotHappenInTimeIsReportedLost() {
        RedisLockProvider p = provider(redis);
        RedisLockProvider other = provider(redis);
        String name = unique("stalled");
        Lease l = grant(p, lease(name, Duration.ofMillis(1500)));
        List<LockLostException> lost = new CopyOnWriteArrayList<>();
        l.onLost(lost::add);
        try (RespClient admin = redis.connect()) {
            admin.killClientsNamed(clientNames.get(p));
            admin.call("CLIENT", "PAUSE", "3000", "ALL"); // no renewal can be served for 3 s
        }
        Await.until(PATIENCE, "the lease is reported lost", () -> !l.isHeld());
        Await.until(PATIENCE, "the loss listener ran", () -> !lost.isEmpty());
        assertThat(lost).hasSize(1);
        assertThat(lost.get(0).reason()).isIn(LossReason.RENEWAL_FAILED, LossReason.EXPIRED, LossReason.REFUSED);
        try (Lease next = takeWhenPossible(other, lease(name, Duration.ofSeconds(5)))) {
            assertThat(next.token()).isGreaterThan(l.token());
        }
        try (Lease again = takeWhenPossible(p, lease(unique("after-pause"), Duration.ofSeconds(5)))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    // ------------------------------------------------------------------ failover

    @Test
    void failoverWithoutReplicaAcksCanGrantTwiceAndTheFencingTokenRejectsTheOldHolder() {
        RedisServerProcess primary = redis;
        RedisServerProcess replica = server(RedisServerProcess.startReplicaOf(primary));
        RedisLockProvider a = provider(primary);
        String name = unique("failover");

        replica.suspend();                                   // the replica stalls...
        primary.call("CLIENT", "KILL", "TYPE", "replica");  // ...and its link drops before the grant
        Lease first = grant(a, lease(name, Duration.ofSeconds(30)));
        primary.kill();                                      // the primary dies with the grant
        replica.resume();
        replica.call("REPLICAOF", "NO", "ONE");              // what Sentinel would do: promote the replica

        RedisLockProvider b = provider(replica);
        Lease second = takeWhenPossible(b, lease(name, Duration.ofSeconds(30)));
        assertThat(first.isHeld()).as("the first holder still believes it holds the lock: two holders").isTrue();
        assertThat(second.isHeld()).isTrue();
        assertThat(second.token()).as("the new primary's token is seeded from its clock").isGreaterThan(first.token());

        FencedResource account = new FencedResource();
        assertThat(account.write(second.token(), "second")).isTrue();
        assertThat(account.write(first.token(), "first (stale)")).as("the stale holder's write is fenced off").isFalse();
        assertThat(account.accepted()).containsExactly("second");
        second.release();
    }

    @Test
    void replicaAcksRefuseAGrantNoReplicaConfirmedAndKeepAConfirmedOneAcrossFailover() {
        RedisServerProcess primary = redis;
        RedisServerProcess replica = server(RedisServerProcess.startReplicaOf(primary));
        RedisLockProvider a = provider(primary, b -> b.replicaAcks(1, Duration.ofMillis(300)));
        String unconfirmed = unique("unconfirmed");

        replica.suspend();
        primary.call("CLIENT", "KILL", "TYPE", "replica");
        assertThatThrownBy(() -> a.tryAcquire(lease(unconfirmed, Duration.ofSeconds(30))))
                .isInstanceOf(LockBackendException.class)
                .hasMessageContaining("acknowledged by 0 of the 1 replicas");
        assertThat(a.inspect(unconfirmed)).as("the unconfirmed grant was undone").isEmpty();
        replica.resume();
        Await.until(PATIENCE, "the replica is back in sync",
                () -> String.valueOf(replica.call("INFO", "replication")).contains("master_link_status:up"));

        String name = unique("confirmed");
        Lease first = grant(a, lease(name, Duration.ofSeconds(30)));
        primary.kill();
        replica.call("REPLICAOF", "NO", "ONE");
        RedisLockProvider b = provider(replica);
        assertThat(b.tryAcquire(lease(name, Duration.ofSeconds(30)))).as("the promoted replica knows the holder").isEmpty();
        LockInfo info = b.inspect(name).orElseThrow();
        assertThat(info.ownerId()).isEqualTo(first.ownerId());
        assertThat(info.token()).isEqualTo(first.token());
        // the counter survived too: after the holder's key is gone, tokens continue above it
        replica.call("DEL", new RedisKeys(prefix).of(name).lock());
        try (Lease next = grant(b, lease(name, Duration.ofSeconds(30)))) {
            assertThat(next.token()).isGreaterThan(first.token());
        }
    }

    @Test
    void sentinelFailoverIsFollowedByRedissonAndTokensKeepIncreasing() {
        RedisServerProcess primary = redis;
        RedisServerProcess replica = server(RedisServerProcess.startReplicaOf(primary));
        RedisServerProcess sentinel = server(RedisServerProcess.startSentinel("hfmaster", primary));
        RedissonClient client = clients.createSentinel(sentinel.address(), "hfmaster", RedisClients.uniqueName("holdfast-sentinel"));
        RedisLockProvider p = RedisLockProvider.builder(client).keyPrefix(prefix).build();
        providers.add(p);
        String name = unique("sentinel");
        Lease before = grant(p, lease(name, Duration.ofSeconds(20)));
        before.release();
        primary.kill();
        Await.until(Duration.ofSeconds(30), "Sentinel promotes the replica", () -> {
            try {
                return String.valueOf(replica.call("INFO", "replication")).contains("role:master");
            } catch (java.io.UncheckedIOException e) {
                return false; // Sentinel kills the replica's normal clients when it promotes it: ask again
            }
        });
        long promotedAt = System.nanoTime();
        Lease after = Await.value(Duration.ofSeconds(30), "the provider serves requests through the new primary", () -> {
            try {
                return p.tryAcquire(lease(name, Duration.ofSeconds(20))).orElse(null);
            } catch (LockBackendException e) {
                return null; // Redisson is still switching to the new primary
            }
        });
        System.out.printf("sentinel failover: served by the new primary %d ms after the promotion%n",
                (System.nanoTime() - promotedAt) / 1_000_000);
        assertThat(after.token()).isGreaterThan(before.token());
    }

    // ------------------------------------------------------------------ cluster

    @Test
    void worksOnAClusterWithEveryNameInOneSlot() throws Exception {
        List<RedisServerProcess> nodes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            nodes.add(server(RedisServerProcess.start("--cluster-enabled", "yes", "--cluster-node-timeout", "2000")));
        }
        int[][] ranges = {{0, 5460}, {5461, 10922}, {10923, 16383}};
        for (int i = 0; i < 3; i++) {
            nodes.get(i).call("CLUSTER", "ADDSLOTSRANGE", String.valueOf(ranges[i][0]), String.valueOf(ranges[i][1]));
        }
        for (int i = 1; i < 3; i++) {
            nodes.get(0).call("CLUSTER", "MEET", "127.0.0.1", String.valueOf(nodes.get(i).port()));
        }
        Await.until(PATIENCE, "the cluster is up", () -> nodes.stream().allMatch(n ->
                String.valueOf(n.call("CLUSTER", "INFO")).contains("cluster_state:ok")
                        && String.valueOf(n.call("CLUSTER", "INFO")).contains("cluster_known_nodes:3")));
        List<String> addresses = nodes.stream().map(RedisServerProcess::address).toList();
        RedisLockProvider a = RedisLockProvider.builder(clients.createCluster(addresses, RedisClients.uniqueName("holdfast-cluster"))).keyPrefix(prefix).build();
        RedisLockProvider b = RedisLockProvider.builder(clients.createCluster(addresses, RedisClients.uniqueName("holdfast-cluster"))).keyPrefix(prefix).build();
        providers.add(a);
        providers.add(b);
        java.util.Set<Integer> nodesUsed = new java.util.HashSet<>();
        for (String base : List.of("payout:1", "payout:2", "{", "}", "a{b}c", "x".repeat(300), "é{}", "q", "r", "s", "t")) {
            String name = base + unique("");
            Lease first = grant(a, lease(name, Duration.ofSeconds(10)));
            assertThat(b.tryAcquire(lease(name, Duration.ofSeconds(10)))).isEmpty();
            assertThat(b.inspect(name).orElseThrow().token()).isEqualTo(first.token());
            first.release();
            try (Lease second = grant(b, lease(name, Duration.ofSeconds(10)))) {
                assertThat(second.token()).isGreaterThan(first.token());
            }
            RedisKeys.Names keys = new RedisKeys(prefix).of(name);
            long slot = (Long) nodes.get(0).call("CLUSTER", "KEYSLOT", keys.lock());
            assertThat((Long) nodes.get(0).call("CLUSTER", "KEYSLOT", keys.fence())).as("fence in the lock's slot").isEqualTo(slot);
            for (int i = 0; i < 3; i++) {
                if (slot >= ranges[i][0] && slot <= ranges[i][1]) {
                    nodesUsed.add(i);
                }
            }
        }
        assertThat(nodesUsed).as("names spread over the cluster's nodes").hasSizeGreaterThan(1);
        // a waiter on one client is woken by a release through the other (cluster-wide PUBLISH)
        String name = unique("cluster-handoff");
        Lease held = grant(a, lease(name, Duration.ofSeconds(30)));
        CompletableFuture<Long> got = CompletableFuture.supplyAsync(() -> {
            try (Lease l = b.acquire(LockRequest.named(name).waitTime(PATIENCE).build())) {
                return l.token();
            }
        });
        Await.until(PATIENCE, "the waiter subscribed", () -> b.subscriptions() == 1);
        held.release();
        assertThat(got.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isGreaterThan(held.token());
    }

    // ------------------------------------------------------------------ waiting

    @Test
    void waitersAreWokenByReleaseNotificationNotByPolling() throws Exception {
        RedisLockProvider holder = provider(redis);
        // a 5 s backoff: only a pub/sub notification can hand the lock over quickly
        RedisLockProvider waiter = provider(redis, b -> b.backoff(Duration.ofSeconds(5), Duration.ofSeconds(5)));
        String name = unique("handoff");
        Lease held = grant(holder, lease(name, Duration.ofSeconds(30)));
        CompletableFuture<Long> gotAt = CompletableFuture.supplyAsync(() -> {
            try (Lease l = waiter.acquire(LockRequest.named(name).waitTime(PATIENCE).build())) {
                return System.nanoTime();
            }
        });
        Await.until(PATIENCE, "the waiter subscribed", () -> waiter.subscriptions() == 1);
        Await.sleep(Duration.ofMillis(100));
        long releasedAt = System.nanoTime();
        held.release();
        long handOff = gotAt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS) - releasedAt;
        assertThat(Duration.ofNanos(handOff)).isLessThan(Duration.ofMillis(1000));
        Await.until(PATIENCE, "the subscription is dropped once nobody waits", () -> waiter.subscriptions() == 0);
    }

    @Test
    void releaseWithinMinHoldLeavesTheKeyToExpire() {
        RedisLockProvider p = provider(redis);
        String name = unique("minhold");
        Lease l = grant(p, LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).minHold(Duration.ofSeconds(10)).build());
        l.release();
        Object pttl = redis.call("PTTL", new RedisKeys(prefix).of(name).lock());
        assertThat((Long) pttl).isBetween(5_000L, 10_000L);
    }

    // ------------------------------------------------------------------ round trips

    @Test
    void oneRoundTripPerAcquireAndPerRelease() {
        RedisLockProvider p = provider(redis);
        grant(p, lease(unique("warm-up"), Duration.ofSeconds(5))).release();
        int n = 50;
        Map<String, Long> before = commandCounts(redis);
        for (int i = 0; i < n; i++) {
            grant(p, lease(unique("rt"), Duration.ofSeconds(5))).release();
        }
        Map<String, Long> after = commandCounts(redis);
        long evalsha = after.getOrDefault("evalsha", 0L) - before.getOrDefault("evalsha", 0L);
        long all = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            if (!e.getKey().equals("ping") && !e.getKey().equals("info")) {
                all += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        assertThat(evalsha).as("EVALSHA calls for %d acquire+release", n).isEqualTo(2L * n);
        assertThat(all).as("commands other than PING for %d acquire+release", n).isEqualTo(2L * n);
    }

    /** Calls per command (top-level commands a client sent; commands run inside scripts are not listed). */
    static Map<String, Long> commandCounts(RedisServerProcess server) {
        Map<String, Long> counts = new java.util.HashMap<>();
        for (String line : String.valueOf(server.call("INFO", "commandstats")).split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String cmd = line.substring(8, line.indexOf(':'));
                String calls = line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
                counts.put(cmd, Long.parseLong(calls));
            }
        }
        // scripts' inner commands are counted too; keep only what clients sent
        for (String inner : List.of("exists", "time", "get", "set", "incr", "hset", "pexpire", "hmget", "del", "publish", "pttl",
                "zadd", "zscore", "zremrangebyscore")) {
            counts.remove(inner);
        }
        return counts;
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void unusualNamesMapToOneSlotAndNeverCollide() {
        RedisLockProvider p = provider(redis);
        String huge = "x".repeat(LockRequest.MAX_NAME_LENGTH);
        List<String> names = List.of("{", "}", "{}", "}{", "{a}", "a{b}c", "a%7Bb", "a{b", "%", "%25", " spaced name ",
                "\u00ff\u00fe\ufffd", "é", "e\u0301", "\\x00\\xff", "emoji-\ud83d\ude00", "#hash", huge, huge.substring(1) + "y",
                "a".repeat(199), "a".repeat(201));
        List<Lease> leases = new ArrayList<>();
        String r = unique("");
        for (String n : names) {
            String name = n.length() + r.length() <= LockRequest.MAX_NAME_LENGTH ? n + r : r + n.substring(r.length());
            leases.add(grant(p, lease(name, Duration.ofSeconds(10))));
        }
        for (Lease l : leases) {
            RedisKeys.Names keys = new RedisKeys(prefix).of(l.name());
            String tag = keys.lock().substring(keys.lock().indexOf('{') + 1, keys.lock().indexOf('}'));
            assertThat(keys.lock()).isEqualTo(prefix + "{" + tag + "}");
            assertThat(keys.fence()).startsWith(keys.lock()).isEqualTo(keys.lock() + ":fence");
            assertThat(keys.channel()).isEqualTo(keys.lock() + ":released");
            assertThat(tag).doesNotContain("{", "}").isNotEmpty();
            assertThat(p.inspect(l.name()).orElseThrow().token()).isEqualTo(l.token());
        }
        assertThat(leases.stream().map(l -> new RedisKeys(prefix).of(l.name()).lock()).distinct()).hasSize(names.size());
        assertThat(RedisKeys.encode("a{b")).isNotEqualTo(RedisKeys.encode("a%7Bb"));
        assertThat(RedisKeys.encode("payout:42")).isEqualTo("payout:42");
        assertThat(RedisKeys.encode(huge)).startsWith("#").hasSize(44);
        leases.forEach(l -> assertThat(l.release()).isTrue());
    }

    @Test
    void badNamesAndDurationsGetClearErrorsBeforeReachingRedis() {
        RedisLockProvider p = provider(redis);
        assertThatThrownBy(() -> p.inspect("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> p.inspect("   ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
        assertThatThrownBy(() -> p.inspect("x".repeat(LockRequest.MAX_NAME_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
        assertThatThrownBy(() -> p.inspect("bin\u0000ary")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control");
        assertThatThrownBy(() -> p.inspect("half\ud800")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> LockRequest.named("x").leaseTime(Duration.ZERO)).hasMessageContaining("leaseTime");
        assertThatThrownBy(() -> LockRequest.named("x").leaseTime(Duration.ofNanos(10)).build()).hasMessageContaining("1 ms");

        RedissonClient c = clients.create(redis.address(), RedisClients.uniqueName("holdfast-builder"));
        assertThatThrownBy(() -> RedisLockProvider.builder(c).keyPrefix("a{b}")).hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).keyPrefix("a b")).hasMessageContaining("whitespace");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).keyPrefix("p".repeat(101))).hasMessageContaining("at most 100");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).replicaAcks(0, Duration.ofSeconds(1))).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).replicaAcks(1, Duration.ZERO)).hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).replicaAcks(1, Duration.ofMinutes(2))).hasMessageContaining("at most 1 minute");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).backoff(Duration.ZERO, Duration.ofSeconds(1))).hasMessageContaining("backoff min");
        assertThatThrownBy(() -> RedisLockProvider.builder(c).backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))).hasMessageContaining("backoff max");
        assertThatThrownBy(() -> RedisLockProvider.builder(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("client");
    }

    @Test
    void aCorruptedFenceCounterIsAClearBackendErrorNotAGrant() {
        RedisLockProvider p = provider(redis);
        String name = unique("corrupt");
        redis.call("SET", new RedisKeys(prefix).of(name).fence(), "not-a-number");
        assertThatThrownBy(() -> p.tryAcquire(lease(name, Duration.ofSeconds(5))))
                .isInstanceOf(LockBackendException.class)
                .hasMessageContaining(name)
                .hasMessageContaining("fence counter is not a number");
        assertThat(p.inspect(name)).isEmpty();
    }

    @Test
    void inspectShowsHolderTokenAndRemainingTime() {
        RedisLockProvider p = provider(redis);
        String name = unique("inspect");
        try (Lease l = grant(p, LockRequest.named(name).leaseTime(Duration.ofSeconds(20)).autoRenew(false).build())) {
            LockInfo info = p.inspect(name).orElseThrow();
            assertThat(info.ownerId()).isEqualTo(l.ownerId());
            assertThat(info.token()).isEqualTo(l.token());
            assertThat(info.expiresIn()).isBetween(Duration.ofSeconds(10), Duration.ofSeconds(20));
            assertThat(info.acquiredAt()).isBetween(l.acquiredAt().minusSeconds(5), l.acquiredAt().plusSeconds(5));
            assertThat(info.waiters()).isEqualTo(-1);
        }
        assertThat(p.inspect(name)).isEmpty();
    }

    @Test
    void buildRefusesAClientThatMayResendCommandsLongerThanRedisRemembersAGoneOwner() {
        RedissonClient tooPatient = clients.create(redis.address(), RedisClients.uniqueName("holdfast-patient"), true,
                20_000, 3, 1000); // 3 × (20 s + 1 s) = 63 s of possible resends
        assertThatThrownBy(() -> RedisLockProvider.builder(tooPatient).keyPrefix(prefix).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("63000 ms")
                .hasMessageContaining("60000 ms")
                .hasMessageContaining("retryAttempts 3")
                .hasMessageContaining("timeout 20000 ms");
        RedissonClient patientEnough = clients.create(redis.address(), RedisClients.uniqueName("holdfast-patient"), true,
                15_000, 3, 1000); // 48 s
        try (RedisLockProvider p = RedisLockProvider.builder(patientEnough).keyPrefix(prefix).build()) {
            String name = unique("patient");
            grant(p, LockRequest.named(name).build()).release();
        }
    }

    @Test
    void theGoneSetOfAHotNameIsTrimmedOnEveryWriteAndExpires() {
        RedisLockProvider p = provider(redis);
        String name = unique("hot");
        String gone = new RedisKeys(prefix).of(name).gone();
        redis.call("ZADD", gone, "1", "an-owner-that-left-long-ago");
        redis.call("PERSIST", gone);
        int releases = 40;
        for (int i = 0; i < releases; i++) {
            grant(p, LockRequest.named(name).build()).release();
        }
        assertThat(redis.call("ZSCORE", gone, "an-owner-that-left-long-ago")).as("an entry older than the window").isNull();
        assertThat(redis.call("ZCARD", gone)).isEqualTo((long) releases);
        long ttl = (Long) redis.call("PTTL", gone);
        assertThat(ttl).as("TTL of %s", gone).isBetween(1L, RedisLockProvider.GONE_MEMORY.toMillis());
    }
}
