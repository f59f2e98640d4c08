package dev.holdfast.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenario 1 as a JMH benchmark: one acquire+release of a free name per invocation, per thread its own name.
 * The runner ({@link BenchmarkRunner}) interleaves contenders in one JVM, which is what the tables use on a
 * noisy machine; this class gives JMH's view of one contender at a time:
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main UncontendedBenchmark -p contender=holdfast-redis,redisson-rlock -t 16
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class UncontendedBenchmark {

    /** A contender id from the catalog. */
    @Param({"floor-pg-rt", "holdfast-pg-advisory", "floor-pg-commit", "floor-pg-commit-notify", "holdfast-pg-table", "shedlock-pg", "si-jdbc-pg",
            "floor-maria-rt", "holdfast-maria-getlock", "floor-maria-commit", "holdfast-maria-table", "shedlock-maria",
            "si-jdbc-maria", "floor-redis-ping", "holdfast-redis", "redisson-rlock", "redisson-fenced", "shedlock-redis",
            "si-redis", "floor-zk-node", "holdfast-zk", "curator-mutex", "si-zk"})
    public String contender;

    private Resources resources;
    private Contender c;
    private final AtomicInteger threads = new AtomicInteger();

    /** Per thread: its own lock name. */
    @State(Scope.Thread)
    public static class Name {
        String name;

        @Setup(Level.Trial)
        public void setUp(UncontendedBenchmark b) {
            name = b.resources.runId + "-jmh-" + b.contender + "-" + b.threads.incrementAndGet();
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        resources = new Resources();
        c = Catalog.get(contender).open(resources, false);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Catalog.closeQuietly(c);
        resources.close();
    }

    /** Acquire and release; a false "busy" answer throws (it would make the figure meaningless). */
    @Benchmark
    public void acquireRelease(Name n) throws Exception {
        Contender.Held h = c.tryLock(n.name);
        if (h == null) {
            throw new IllegalStateException(contender + " answered busy for a free name");
        }
        h.release();
    }
}
