package dev.holdfast.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Latencies (nanoseconds) pooled over rounds, and one rate per round (the table shows their median). */
final class Samples {

    private long[] nanos = new long[1024];
    private int size;
    private final List<Double> rates = new ArrayList<>();
    long busy;
    long attempts;
    long ops;
    long cpuNanos;

    synchronized void add(long n) {
        if (size == nanos.length) {
            nanos = Arrays.copyOf(nanos, size * 2);
        }
        nanos[size++] = n;
    }

    synchronized void addAll(long[] n, int count) {
        for (int i = 0; i < count; i++) {
            add(n[i]);
        }
    }

    synchronized void rate(double perSecond) {
        rates.add(perSecond);
    }

    synchronized int count() {
        return size;
    }

    /** The q-quantile (0..1) in microseconds, or NaN with no samples. */
    synchronized double quantileMicros(double q) {
        if (size == 0) {
            return Double.NaN;
        }
        long[] s = Arrays.copyOf(nanos, size);
        Arrays.sort(s);
        return s[Math.min(size - 1, (int) Math.floor(q * size))] / 1e3;
    }

    /** Process CPU time per successful operation (all threads of this JVM), in microseconds, or NaN. */
    synchronized double cpuMicrosPerOp() {
        return ops == 0 ? Double.NaN : cpuNanos / 1e3 / ops;
    }

    /** The median of the per-round rates, or NaN. */
    synchronized double medianRate() {
        if (rates.isEmpty()) {
            return Double.NaN;
        }
        double[] r = rates.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2;
    }
}
