package dev.holdfast.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenario 2: {@code workers} threads, each with its own client or pool (as separate processes would be),
 * take turns on one name. Each holds the lock {@value #HOLD_MILLIS} ms, releases, then pauses 1–3 ms before
 * asking again, so the next holder is a waiter that was already queued or watching, not the releaser
 * re-taking it. The figure is the time from the start of one holder's release to the return of the next
 * holder's acquire (only when the holder changes). A round trip is half the backend's two-round-trip floor
 * measured in the same rounds.
 */
final class Handoff {

    static final int HOLD_MILLIS = 3;
    private static final int DISCARD_PER_ROUND = 8;

    record Result(Kind.Backend backend, List<Kind> kinds, Map<String, Samples> samples, Map<String, Long> timeouts,
                  Samples floor, Kind floorKind) {
    }

    private final Resources resources;
    private final Mode mode;

    Handoff(Resources resources, Mode mode) {
        this.resources = resources;
        this.mode = mode;
    }

    Result run(Kind.Backend backend, List<Catalog.Entry> entries) throws Exception {
        List<Catalog.Entry> waiting = new ArrayList<>();
        Catalog.Entry floorEntry = null;
        for (Catalog.Entry e : entries) {
            if (e.kind().isFloor()) {
                if (floorEntry == null || e.kind().floor() == Kind.Floor.ROUND_TRIPS) {
                    floorEntry = e;
                }
            } else if (!e.kind().id().startsWith("shedlock")) {
                waiting.add(e);
            }
        }
        waiting.add(handoffFloor(backend, floorEntry));
        Map<String, Samples> samples = new LinkedHashMap<>();
        Map<String, Long> timeouts = new LinkedHashMap<>();
        waiting.forEach(e -> {
            samples.put(e.kind().id(), new Samples());
            timeouts.put(e.kind().id(), 0L);
        });
        Samples floor = new Samples();
        ExecutorService pool = Executors.newFixedThreadPool(mode.workers(), r -> {
            Thread t = new Thread(r, "hfb-handoff");
            t.setDaemon(true);
            return t;
        });
        try (Contender floorC = floorEntry.open(resources, false)) {
            for (int i = 0; i < 50; i++) {
                floorC.tryLock(resources.runId + "-hf-floor");
            }
            for (int round = 0; round < mode.handoffRounds(); round++) {
                for (int k = 0; k < waiting.size(); k++) {
                    Catalog.Entry e = waiting.get((k + round) % waiting.size());
                    long t = turn(e, pool, samples.get(e.kind().id()), round);
                    timeouts.merge(e.kind().id(), t, Long::sum);
                    for (int i = 0; i < 100; i++) {
                        long s = System.nanoTime();
                        floorC.tryLock(resources.runId + "-hf-floor");
                        floor.add((System.nanoTime() - s) / 2); // one round trip
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        return new Result(backend, waiting.stream().map(Catalog.Entry::kind).toList(), samples, timeouts, floor, floorEntry.kind());
    }

    /**
     * The hand-off floor: 2 round trips (the backend's floor operation) after an in-process wake-up — a fair
     * semaphore shared by the workers stands in for a notified lock. What any notified lock on this machine
     * pays at least: the round trips plus waking a parked thread.
     */
    private static Catalog.Entry handoffFloor(Kind.Backend backend, Catalog.Entry floorEntry) {
        Kind fk = floorEntry.kind();
        Kind kind = new Kind("floor-handoff-" + fk.id(), "floor: in-process wake-up + " + fk.label().replace("floor: ", ""),
                backend, fk.floor(), false, true);
        java.util.concurrent.Semaphore turn = new java.util.concurrent.Semaphore(1, true);
        return new Catalog.Entry(kind, (r, own, lease) -> {
            Contender op = floorEntry.open(r, false);
            return new Contender() {
                @Override
                public Held tryLock(String name) throws Exception {
                    return lock(name, Duration.ZERO);
                }

                @Override
                public Held lock(String name, Duration wait) throws Exception {
                    if (!turn.tryAcquire(wait.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                        return null;
                    }
                    op.tryLock(name);
                    return turn::release;
                }

                @Override
                public void close() {
                }
            };
        });
    }

    private long turn(Catalog.Entry e, ExecutorService pool, Samples into, int round) throws Exception {
        List<Contender> instances = new ArrayList<>();
        AtomicLong timeouts = new AtomicLong();
        try {
            for (int i = 0; i < mode.workers(); i++) {
                instances.add(e.open(resources, true));
            }
            String name = resources.runId + "-h-" + e.kind().id() + "-" + round;
            // Let every instance connect (and settle any lazily opened listener) before timing.
            for (Contender c : instances) {
                Contender.Held h = c.lock(name, Duration.ofSeconds(10));
                if (h != null) {
                    h.release();
                }
            }
            AtomicLong lastRelease = new AtomicLong();
            AtomicInteger lastHolder = new AtomicInteger(-1);
            AtomicInteger handoffs = new AtomicInteger();
            long deadline = System.nanoTime() + mode.handoffSlice().toNanos();
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < instances.size(); i++) {
                int me = i;
                Contender c = instances.get(i);
                done.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        Contender.Held h = c.lock(name, Duration.ofSeconds(5));
                        long acquired = System.nanoTime();
                        if (h == null) {
                            timeouts.incrementAndGet();
                            continue;
                        }
                        int prev = lastHolder.get();
                        if (prev >= 0 && prev != me && handoffs.incrementAndGet() > DISCARD_PER_ROUND) {
                            into.add(acquired - lastRelease.get());
                        }
                        LockSupport.parkNanos(HOLD_MILLIS * 1_000_000L);
                        lastHolder.set(me);
                        lastRelease.set(System.nanoTime());
                        h.release();
                        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(1_000_000L, 3_000_000L));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            instances.forEach(Catalog::closeQuietly);
        }
        return timeouts.get();
    }

    static Markdown table(Result r) {
        double rt = r.floor().quantileMicros(0.5);
        Markdown m = new Markdown("Scenario 2 — contended hand-off, " + r.backend().title,
                "contender", "hand-offs", "p50 µs", "p99 µs", "p50 in round trips", "p50 × Holdfast", "p50 × hand-off floor", "timeouts");
        Kind ref = r.kinds().stream().filter(Kind::holdfast).findFirst().orElse(null);
        Kind hfloor = r.kinds().stream().filter(Kind::isFloor).findFirst().orElseThrow();
        double floorP50 = r.samples().get(hfloor.id()).quantileMicros(0.5);
        for (Kind k : r.kinds()) {
            Samples s = r.samples().get(k.id());
            Kind kref = Uncontended.reference(r.kinds(), k);
            double p50 = s.quantileMicros(0.5);
            m.row(Uncontended.label(k), s.count(), Markdown.num(p50), Markdown.num(s.quantileMicros(0.99)),
                    Markdown.num(p50 / rt),
                    k.isFloor() || (kref == null && ref == null) ? "–"
                            : Markdown.ratio(p50 / r.samples().get((kref != null ? kref : ref).id()).quantileMicros(0.5)),
                    Markdown.ratio(p50 / floorP50), r.timeouts().get(k.id()));
        }
        m.row("_one round trip (half of: " + r.floorKind().label().replace("floor: ", "") + ")_", r.floor().count(),
                Markdown.num(rt), Markdown.num(r.floor().quantileMicros(0.99)), "1.0", "–", "–", "–");
        m.note("From the start of a holder's release to the return of the next holder's acquire (holder changed), "
                + "each worker on its own client/pool; holders keep the lock " + HOLD_MILLIS + " ms. "
                + "Target for Holdfast on Redis, ZooKeeper and PostgreSQL: p50 within 3 round trips. "
                + "The hand-off floor row runs the backend's two-round-trip floor after waking a waiter through an in-process fair "
                + "semaphore: what any notified lock pays at least on this machine under the same thread load. "
                + "ShedLock has no waiting acquire and is not in this scenario.");
        return m;
    }
}
