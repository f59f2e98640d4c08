package dev.holdfast.lock.testkit.harness;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One run of the fault harness against one backend: starts the worker processes (the test JVM's own
 * classpath), injects faults on a schedule while they work, stops them, and checks the merged history.
 *
 * <pre>{@code
 * HarnessReport report = HarnessRun.builder("redis", RedisWorkerBackend.class)
 *         .ledger(pgUrl, "postgres", "")
 *         .backend("127.0.0.1", redis.port())          // each worker reaches it through its own TcpProxy
 *         .duration(Duration.ofSeconds(45))
 *         .stop(Duration.ofSeconds(4)).kill().cut().stall(Duration.ofSeconds(3))
 *         .restart(proxies -> redis.restart())
 *         .build().run();
 * System.out.println(report.table());
 * }</pre>
 *
 * Faults are injected one at a time, cycling through the enabled kinds in a shuffled order, each on a
 * random live worker (RESTART hits them all). Lock names and the ledger tables carry a random suffix.
 */
public final class HarnessRun {

    /** A fault as injected. */
    public record Fault(FaultKind kind, String worker, long at, long endAt, String detail) {
        /** Whether it hit {@code workerId} (RESTART hits every worker). */
        boolean hits(String workerId) {
            return worker.equals("*") || worker.equals(workerId);
        }
    }

    private final Builder b;
    private final String runId = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final List<String> names = new ArrayList<>();
    private final Path dir;
    private final Ledger ledger;
    private final List<Worker> workers = Collections.synchronizedList(new ArrayList<>());
    private final List<Fault> faults = Collections.synchronizedList(new ArrayList<>());
    private int nextWorker = 1;

    private final class Worker {
        final String id;
        final TcpProxy proxy;
        final Path journal;
        final Process process;
        final OutputStream stdin;
        volatile long killedAt;

        Worker(String id) throws IOException {
            this.id = id;
            this.proxy = TcpProxy.start(b.backendHost, b.backendPort);
            this.journal = dir.resolve(id + ".journal");
            Map<String, String> s = new LinkedHashMap<>(b.settings);
            s.put("harness.run", runId);
            s.put("harness.worker", id);
            s.put("harness.journal", journal.toString());
            s.put("harness.backend", b.backendClass.getName());
            s.put("harness.threads", String.valueOf(b.threads));
            s.put("harness.names", String.join(",", names));
            s.put("harness.leaseMillis", String.valueOf(b.leaseTime.toMillis()));
            s.put("harness.waitMillis", String.valueOf(b.waitTime.toMillis()));
            s.put("harness.workMillis", String.valueOf(b.workTime.toMillis()));
            s.put("harness.longHoldMillis", String.valueOf(b.longHold.toMillis()));
            s.put("harness.longHoldPercent", String.valueOf(b.longHoldPercent));
            s.put("harness.ledger.url", b.ledgerUrl);
            s.put("harness.ledger.user", b.ledgerUser);
            s.put("harness.ledger.password", b.ledgerPassword);
            s.put("harness.ledger.table", ledger.table());
            s.put("harness.proxy.host", "127.0.0.1");
            s.put("harness.proxy.port", String.valueOf(proxy.port()));
            Properties p = new Properties();
            p.putAll(s);
            Path settingsFile = dir.resolve(id + ".properties");
            try (Writer w = Files.newBufferedWriter(settingsFile, StandardCharsets.UTF_8)) {
                p.store(w, "harness worker " + id);
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                    HarnessWorker.class.getName(), settingsFile.toString()));
            this.process = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(id + ".log").toFile()).start();
            this.stdin = process.getOutputStream();
        }

        void send(String line) {
            try {
                stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                stdin.flush();
            } catch (IOException e) {
                // the worker is gone
            }
        }
    }

    private HarnessRun(Builder b) {
        this.b = b;
        for (int i = 0; i < b.names; i++) {
            names.add("harness-" + b.label + "-" + runId + "-" + i);
        }
        try {
            this.dir = Files.createTempDirectory("holdfast-harness-" + b.label + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.ledger = new Ledger(b.ledgerUrl, b.ledgerUser, b.ledgerPassword, "harness_ledger_" + runId);
    }

    /**
     * Starts a builder.
     *
     * @param label        a short name for the backend, used in lock names and the report
     * @param backendClass the worker-side factory (public, no-argument constructor)
     */
    public static Builder builder(String label, Class<? extends WorkerBackend> backendClass) {
        return new Builder(label, backendClass);
    }

    /** This run's random id (in lock names, ledger tables; pass it to sessions' application names). */
    public String runId() {
        return runId;
    }

    /** The directory with the workers' journals, settings and logs. */
    public Path directory() {
        return dir;
    }

    /** Runs the workers and the faults for the configured duration, then checks the history. */
    public HarnessReport run() {
        try {
            ledger.create(names);
            long startedAt = System.nanoTime();
            for (int i = 0; i < b.workers; i++) {
                spawn();
            }
            awaitStarted();
            long runStart = System.nanoTime();
            long endAt = runStart + b.duration.toNanos();
            List<FaultKind> cycle = new ArrayList<>();
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            sleepNanos(Math.min(b.faultEvery.toNanos(), b.duration.toNanos() / 10));
            while (System.nanoTime() - endAt < 0) {
                if (cycle.isEmpty()) {
                    cycle.addAll(b.kinds());
                    Collections.shuffle(cycle);
                }
                if (!cycle.isEmpty()) {
                    inject(cycle.remove(0));
                }
                long jitter = b.faultEvery.toNanos() / 4;
                sleepNanos(Math.min(endAt - System.nanoTime(), b.faultEvery.toNanos() - jitter + rnd.nextLong(2 * jitter + 1)));
            }
            long stoppedAt = System.nanoTime();
            stopAll();
            HarnessReport report = HarnessReport.analyse(b.label, b, names, journals(), kills(), List.copyOf(faults),
                    ledger, startedAt, runStart, stoppedAt, dir);
            if (!b.keepFiles) {
                ledger.drop();
            }
            return report;
        } catch (Exception e) {
            stopAll();
            throw new IllegalStateException("harness run " + runId + " failed (files in " + dir + ")", e);
        }
    }

    private Map<String, Path> journals() {
        Map<String, Path> m = new LinkedHashMap<>();
        for (Worker w : workers) {
            m.put(w.id, w.journal);
        }
        return m;
    }

    private Map<String, Long> kills() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (Worker w : workers) {
            if (w.killedAt != 0) {
                m.put(w.id, w.killedAt);
            }
        }
        return m;
    }

    private Worker spawn() throws IOException {
        Worker w = new Worker("w" + nextWorker++);
        workers.add(w);
        return w;
    }

    private List<Worker> live() {
        synchronized (workers) {
            return workers.stream().filter(w -> w.killedAt == 0 && w.process.isAlive()).toList();
        }
    }

    /** Waits until every live worker has written its start line (provider built). */
    private void awaitStarted() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Worker w : live()) {
            while (!started(w)) {
                if (!w.process.isAlive() || System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("worker " + w.id + " did not start; see " + dir.resolve(w.id + ".log"));
                }
                sleepNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    private static boolean started(Worker w) {
        return Files.exists(w.journal) && Journal.read(w.journal).stream().anyMatch(f -> f[0].equals("S"));
    }

    private void inject(FaultKind kind) throws IOException {
        List<Worker> live = live();
        if (live.isEmpty()) {
            return;
        }
        Worker w = target(live);
        switch (kind) {
            case KILL -> {
                long before = System.nanoTime();
                w.process.destroyForcibly(); // SIGKILL
                try {
                    w.process.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                w.killedAt = System.nanoTime();
                faults.add(new Fault(kind, w.id, before, w.killedAt, "pid " + w.process.pid()));
                spawn(); // a replacement, starting while the run goes on
            }
            case STOP -> {
                long at = System.nanoTime();
                signal("-STOP", w.process.pid());
                sleepNanos(b.stopPause.toNanos());
                signal("-CONT", w.process.pid());
                faults.add(new Fault(kind, w.id, at, System.nanoTime(), "paused " + b.stopPause.toMillis() + " ms"));
            }
            case CUT -> {
                long at = System.nanoTime();
                int n = w.proxy.openConnections();
                w.proxy.dropAll();
                faults.add(new Fault(kind, w.id, at, System.nanoTime(), n + " connections reset"));
            }
            case STALL -> {
                long at = System.nanoTime();
                w.proxy.stall(b.stallTime);
                sleepNanos(b.stallTime.toNanos());
                faults.add(new Fault(kind, w.id, at, System.nanoTime(), "stalled " + b.stallTime.toMillis() + " ms"));
            }
            case RESTART -> {
                long at = System.nanoTime();
                List<TcpProxy> proxies = live.stream().map(x -> x.proxy).toList();
                requireNonNull(b.restart, "restart").accept(proxies);
                faults.add(new Fault(kind, "*", at, System.nanoTime(), "backend restart / sessions ended"));
            }
            case IN_WORKER -> {
                long at = System.nanoTime();
                w.send("fault " + b.inWorkerFault);
                faults.add(new Fault(kind, w.id, at, at, b.inWorkerFault));
            }
        }
    }

    /** A random worker among those holding a lease for a while now (so the fault hits a renewed lease), else any. */
    private static Worker target(List<Worker> live) {
        long now = System.nanoTime();
        List<Worker> holding = new ArrayList<>();
        for (Worker w : live) {
            if (Journal.openGrantStarts(w.journal).stream().anyMatch(start -> now - start > 200_000_000L)) {
                holding.add(w);
            }
        }
        List<Worker> from = holding.isEmpty() ? live : holding;
        return from.get(ThreadLocalRandom.current().nextInt(from.size()));
    }

    private static void signal(String sig, long pid) {
        try {
            int rc = new ProcessBuilder("kill", sig, String.valueOf(pid)).inheritIO().start().waitFor();
            if (rc != 0) {
                throw new IllegalStateException("kill " + sig + " " + pid + " exited with " + rc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void stopAll() {
        List<Worker> all;
        synchronized (workers) {
            all = List.copyOf(workers);
        }
        for (Worker w : all) {
            if (w.process.isAlive()) {
                try {
                    signal("-CONT", w.process.pid()); // never leave one frozen
                } catch (RuntimeException e) {
                    // gone meanwhile
                }
                w.send("stop");
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        for (Worker w : all) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!w.process.waitFor(left, TimeUnit.NANOSECONDS)) {
                    w.process.destroyForcibly();
                    w.process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.process.destroyForcibly();
            }
            w.proxy.close();
        }
    }

    private static void sleepNanos(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Configures a {@link HarnessRun}. */
    public static final class Builder {
        final String label;
        final Class<? extends WorkerBackend> backendClass;
        final Map<String, String> settings = new LinkedHashMap<>();
        final EnumMap<FaultKind, Boolean> enabled = new EnumMap<>(FaultKind.class);
        final Set<FaultKind> breaksExclusion = EnumSet.noneOf(FaultKind.class);
        final Set<FaultKind> losesLeases = EnumSet.noneOf(FaultKind.class);
        String ledgerUrl = "";
        String ledgerUser = "";
        String ledgerPassword = "";
        String backendHost = "127.0.0.1";
        int backendPort = -1;
        int workers = 3;
        int threads = 3;
        int names = 4;
        Duration leaseTime = Duration.ofSeconds(2);
        Duration waitTime = Duration.ofSeconds(1);
        Duration workTime = Duration.ofMillis(10);
        Duration longHold = Duration.ofSeconds(3);
        int longHoldPercent = 2;
        Duration duration = Duration.ofSeconds(45);
        Duration faultEvery = Duration.ofSeconds(3);
        Duration stopPause = Duration.ofSeconds(4);
        Duration stallTime = Duration.ofSeconds(3);
        Duration crashReleaseBound = Duration.ofSeconds(2);
        Duration slack = Duration.ofSeconds(3);
        @Nullable Consumer<List<TcpProxy>> restart;
        String inWorkerFault = "";
        boolean keepFiles;
        String note = "";

        private Builder(String label, Class<? extends WorkerBackend> backendClass) {
            this.label = requireNonNull(label, "label");
            this.backendClass = requireNonNull(backendClass, "backendClass");
        }

        /** The PostgreSQL database of the ledger. */
        public Builder ledger(String jdbcUrl, String user, String password) {
            this.ledgerUrl = requireNonNull(jdbcUrl, "jdbcUrl");
            this.ledgerUser = requireNonNull(user, "user");
            this.ledgerPassword = requireNonNull(password, "password");
            return this;
        }

        /** Where the backend listens; each worker gets a proxy to it ({@code harness.proxy.port}). */
        public Builder backend(String host, int port) {
            this.backendHost = requireNonNull(host, "host");
            this.backendPort = port;
            return this;
        }

        /** A setting passed to every worker's {@link WorkerBackend#open}. */
        public Builder setting(String key, String value) {
            settings.put(requireNonNull(key, "key"), requireNonNull(value, "value"));
            return this;
        }

        /** Worker processes at any time (default 3). */
        public Builder workers(int workers) {
            this.workers = positive("workers", workers);
            return this;
        }

        /** Threads per worker (default 3). */
        public Builder threads(int threads) {
            this.threads = positive("threads", threads);
            return this;
        }

        /** How many lock names they contend for (default 4). */
        public Builder names(int names) {
            this.names = positive("names", names);
            return this;
        }

        /** Lease time of every request (default 2 s). */
        public Builder leaseTime(Duration leaseTime) {
            this.leaseTime = requireNonNull(leaseTime, "leaseTime");
            return this;
        }

        /** Wait time of every request (default 1 s). */
        public Builder waitTime(Duration waitTime) {
            this.waitTime = requireNonNull(waitTime, "waitTime");
            return this;
        }

        /** Longest pause inside the critical section before the write (random up to it; default 10 ms). */
        public Builder workTime(Duration workTime) {
            this.workTime = requireNonNull(workTime, "workTime");
            return this;
        }

        /**
         * Makes {@code percent} of the holds last up to {@code longHold} instead (default 2% up to 3 s), so
         * that leases get renewed and faults find holders to hit.
         */
        public Builder longHolds(int percent, Duration longHold) {
            if (percent < 0 || percent > 100) {
                throw new IllegalArgumentException("percent must be within 0..100, was " + percent);
            }
            this.longHoldPercent = percent;
            this.longHold = requireNonNull(longHold, "longHold");
            return this;
        }

        /** How long workers run under faults (default 45 s). */
        public Builder duration(Duration duration) {
            this.duration = requireNonNull(duration, "duration");
            return this;
        }

        /** Mean time between two faults (default 3 s, ±25%). */
        public Builder faultEvery(Duration faultEvery) {
            this.faultEvery = requireNonNull(faultEvery, "faultEvery");
            return this;
        }

        /** Enables SIGKILL of workers. */
        public Builder kill() {
            enabled.put(FaultKind.KILL, true);
            return this;
        }

        /** Enables SIGSTOP of a worker for {@code pause} (make it longer than the lease), then SIGCONT. */
        public Builder stop(Duration pause) {
            this.stopPause = requireNonNull(pause, "pause");
            enabled.put(FaultKind.STOP, true);
            return this;
        }

        /** Enables resetting a worker's connections. */
        public Builder cut() {
            enabled.put(FaultKind.CUT, true);
            return this;
        }

        /** Enables stalling a worker's traffic for {@code stall}. */
        public Builder stall(Duration stall) {
            this.stallTime = requireNonNull(stall, "stall");
            enabled.put(FaultKind.STALL, true);
            return this;
        }

        /** Enables a backend restart done by {@code action} (given the live workers' proxies). */
        public Builder restart(Consumer<List<TcpProxy>> action) {
            this.restart = requireNonNull(action, "action");
            enabled.put(FaultKind.RESTART, true);
            return this;
        }

        /** Enables an in-worker fault ({@link WorkerBackend#inject} with {@code command}). */
        public Builder inWorkerFault(String command) {
            this.inWorkerFault = requireNonNull(command, "command");
            enabled.put(FaultKind.IN_WORKER, true);
            return this;
        }

        /**
         * Declares that after faults of these kinds the backend may hand the lock to another client before
         * the old holder learns it lost it — a window the backend documents, where only fencing protects.
         * Overlaps that start inside such a fault's reach are reported as "tolerated", not violations
         * (the ledger must still reject the stale holder once the newer one wrote).
         */
        public Builder exclusionMayBreakAfter(FaultKind... kinds) {
            breaksExclusion.addAll(List.of(kinds));
            return this;
        }

        /**
         * Declares that a fault of these kinds ends, on the backend, every lease the hit workers hold (the
         * session is gone, the server forgot the keys): each such lease must be reported lost by the holder's
         * next liveness check (a third of the lease time after the fault, plus a second), unless it was
         * released before that (counted as "never told").
         */
        public Builder leasesLostAfter(FaultKind... kinds) {
            losesLeases.addAll(List.of(kinds));
            return this;
        }

        /** How long after a SIGKILL the backend may keep the dead worker's locks (default 2 s: the lease). */
        public Builder crashReleaseBound(Duration bound) {
            this.crashReleaseBound = requireNonNull(bound, "bound");
            return this;
        }

        /** A line about the setup for the report's table (for example a negotiated session timeout). */
        public Builder note(String note) {
            this.note = requireNonNull(note, "note");
            return this;
        }

        /** Keeps the ledger tables (dropped after the checks by default; the journals are always kept). */
        public Builder keepFiles(boolean keep) {
            this.keepFiles = keep;
            return this;
        }

        List<FaultKind> kinds() {
            return new ArrayList<>(enabled.keySet());
        }

        Duration leaseTime() {
            return leaseTime;
        }

        /** @return the run (not started) */
        public HarnessRun build() {
            if (ledgerUrl.isEmpty()) {
                throw new IllegalStateException("ledger(...) is required");
            }
            if (backendPort <= 0) {
                throw new IllegalStateException("backend(host, port) is required");
            }
            return new HarnessRun(this);
        }

        private static int positive(String what, int n) {
            if (n < 1) {
                throw new IllegalArgumentException(what + " must be at least 1, was " + n);
            }
            return n;
        }
    }
}
