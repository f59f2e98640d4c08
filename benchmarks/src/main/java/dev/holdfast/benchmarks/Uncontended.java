package dev.holdfast.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Scenario 1: acquire+release on distinct free names, by 1 thread and by 16, every contender of a backend
 * in turn (rotating order, several rounds). A "busy" answer here is false: nobody else holds those names.
 */
final class Uncontended {

    static final int[] THREADS = {1, 16};

    /** Per contender id and thread count: its samples. */
    record Result(Kind.Backend backend, List<Kind> kinds, Map<String, Samples[]> samples) {
    }

    private final Resources resources;
    private final Mode mode;
    private final ExecutorService pool = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "hfb-uncontended");
        t.setDaemon(true);
        return t;
    });

    Uncontended(Resources resources, Mode mode) {
        this.resources = resources;
        this.mode = mode;
    }

    Result run(Kind.Backend backend, List<Catalog.Entry> entries) throws Exception {
        Map<String, Contender> open = new LinkedHashMap<>();
        Map<String, Samples[]> samples = new LinkedHashMap<>();
        List<Kind> kinds = new ArrayList<>();
        try {
            for (Catalog.Entry e : entries) {
                open.put(e.kind().id(), e.open(resources, false));
                samples.put(e.kind().id(), new Samples[] {new Samples(), new Samples()});
                kinds.add(e.kind());
            }
            List<String> ids = new ArrayList<>(open.keySet());
            for (int ti = 0; ti < THREADS.length; ti++) {
                int threads = THREADS[ti];
                for (String id : ids) {
                    slice(open.get(id), id, threads, mode.warmup().toNanos(), null);
                }
                for (int round = 0; round < mode.rounds(); round++) {
                    for (int k = 0; k < ids.size(); k++) {
                        String id = ids.get((k + round) % ids.size());
                        slice(open.get(id), id, threads, mode.slice().toNanos(), samples.get(id)[ti]);
                    }
                }
            }
        } finally {
            open.values().forEach(Catalog::closeQuietly);
        }
        return new Result(backend, kinds, samples);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private void slice(Contender c, String id, int threads, long nanos, @Nullable Samples into) throws Exception {
        AtomicLong ops = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        long deadline = start + nanos;
        for (int t = 0; t < threads; t++) {
            String name = resources.runId + "-u-" + id + "-" + threads + "-" + t;
            done.add(pool.submit(() -> {
                long[] lat = new long[4096];
                int n = 0;
                long busy = 0;
                long attempts = 0;
                while (System.nanoTime() < deadline) {
                    long s = System.nanoTime();
                    attempts++;
                    Contender.Held h = c.tryLock(name);
                    if (h == null) {
                        busy++;
                        continue;
                    }
                    h.release();
                    if (n == lat.length) {
                        lat = java.util.Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = System.nanoTime() - s;
                }
                ops.addAndGet(n);
                if (into != null) {
                    into.addAll(lat, n);
                    synchronized (into) {
                        into.busy += busy;
                        into.attempts += attempts;
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        if (into != null) {
            into.rate(ops.get() / ((System.nanoTime() - start) / 1e9));
            long cpu = processCpuNanos() - cpuStart;
            synchronized (into) {
                into.ops += ops.get();
                into.cpuNanos += cpu;
            }
        }
    }

    /** One table per backend: rates at 1 and 16 threads, latencies, ratios, false busy answers. */
    static Markdown table(Result r) {
        Markdown m = new Markdown("Scenario 1 — uncontended acquire+release, " + r.backend().title,
                "contender", "1 thr ops/s", "p50 µs", "p99 µs", "CPU µs/op", "× Holdfast", "× floor cost",
                "16 thr ops/s", "p50 µs", "p99 µs", "CPU µs/op", "× Holdfast", "× floor cost", "false busy (16 thr)");
        for (Kind k : r.kinds()) {
            List<Object> cells = new ArrayList<>();
            cells.add(label(k));
            for (int ti = 0; ti < THREADS.length; ti++) {
                Samples s = r.samples().get(k.id())[ti];
                double rate = s.medianRate();
                cells.add(Markdown.num(rate));
                cells.add(Markdown.num(s.quantileMicros(0.50)));
                cells.add(Markdown.num(s.quantileMicros(0.99)));
                cells.add(Markdown.num(s.cpuMicrosPerOp()));
                Kind ref = reference(r.kinds(), k);
                Kind floor = floorOf(r.kinds(), k);
                cells.add(ref == null ? "–" : Markdown.ratio(rate / r.samples().get(ref.id())[ti].medianRate()));
                cells.add(floor == null ? "–" : Markdown.ratio(r.samples().get(floor.id())[ti].medianRate() / rate));
            }
            Samples s16 = r.samples().get(k.id())[1];
            cells.add(k.isFloor() ? "–" : s16.busy + " of " + s16.attempts);
            m.row(cells.toArray());
        }
        m.note("ops/s: median of the rounds' rates; p50/p99 over all timed operations. "
                + "× Holdfast: ops/s ÷ the Holdfast provider measured against the same floor. "
                + "× floor cost: the floor's ops/s ÷ this row's (1.00× = as cheap as the bare round trips/commits; target ≤ 1.5×). "
                + "CPU µs/op: this JVM's CPU time over the turns ÷ operations (client side; for ZooKeeper the in-process server too).");
        return m;
    }

    static String label(Kind k) {
        return k.holdfast() ? "**" + k.label() + "**" : k.isFloor() ? "_" + k.label() + "_" : k.label();
    }

    /** The Holdfast provider that row {@code k} is compared with: the one on the same floor, else the first. */
    static @Nullable Kind reference(List<Kind> kinds, Kind k) {
        return kinds.stream().filter(x -> x.holdfast() && x.floor() == k.floor()).findFirst()
                .orElse(kinds.stream().filter(Kind::holdfast).findFirst().orElse(null));
    }

    static @Nullable Kind floorOf(List<Kind> kinds, Kind k) {
        return kinds.stream().filter(x -> x.isFloor() && x.floor() == k.floor()).findFirst().orElse(null);
    }

    /** False busy answers Holdfast gave at any thread count. */
    static long holdfastFalseBusy(Result r) {
        long busy = 0;
        for (Kind k : r.kinds()) {
            if (k.holdfast()) {
                for (Samples s : r.samples().get(k.id())) {
                    busy += s.busy;
                }
            }
        }
        return busy;
    }

    void close() {
        pool.shutdownNow();
    }
}
