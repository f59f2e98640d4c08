package dev.holdfast.lock.testkit.harness;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.AbstractLease;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One worker process of a {@link HarnessRun}: builds a provider through its {@link WorkerBackend} and
 * loops on several threads — acquire one of a few names, work a little, write to the {@link Ledger} with
 * the lease's token, end, release — recording every step in its {@link Journal} as it happens.
 *
 * <p>The stale-writer case is built in: the write happens after a random pause inside the critical
 * section and whether or not the lease still looks held, so a holder frozen (SIGSTOP) past its lease wakes
 * up and tries its write with an old token; the ledger must reject it if a newer holder wrote.
 *
 * <p>Control is through standard input: a line {@code fault <command>} runs an in-worker fault
 * ({@link WorkerBackend#inject}); {@code stop} or end of input stops the loops, releases, closes and exits.
 * Started by {@link HarnessRun}, with one argument: the settings file it wrote.
 */
public final class HarnessWorker {

    private final Map<String, String> settings;
    private final Journal journal;
    private final String workerId;
    private final List<String> names;
    private final Duration leaseTime;
    private final Duration waitTime;
    private final long workMaxMillis;
    private final long longHoldMillis;
    private final int longHoldPercent;
    private final Ledger ledger;
    private volatile boolean running = true;

    private HarnessWorker(Map<String, String> settings) {
        this.settings = settings;
        this.journal = new Journal(Path.of(settings.get("harness.journal")));
        this.workerId = settings.get("harness.worker");
        this.names = List.of(settings.get("harness.names").split(","));
        this.workMaxMillis = Long.parseLong(settings.get("harness.workMillis"));
        this.longHoldMillis = Long.parseLong(settings.get("harness.longHoldMillis"));
        this.longHoldPercent = Integer.parseInt(settings.get("harness.longHoldPercent"));
        this.leaseTime = Duration.ofMillis(Long.parseLong(settings.get("harness.leaseMillis")));
        this.waitTime = Duration.ofMillis(Long.parseLong(settings.get("harness.waitMillis")));
        this.ledger = new Ledger(settings.get("harness.ledger.url"), settings.get("harness.ledger.user"),
                settings.get("harness.ledger.password"), settings.get("harness.ledger.table"));
    }

    /**
     * Runs a worker.
     *
     * @param args one argument: the settings file (a properties file) written by {@link HarnessRun}
     */
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            p.load(r);
        }
        Map<String, String> settings = new HashMap<>();
        p.stringPropertyNames().forEach(k -> settings.put(k, p.getProperty(k)));
        int rc = new HarnessWorker(settings).run();
        System.exit(rc);
    }

    private int run() throws Exception {
        WorkerBackend backend = (WorkerBackend) Class.forName(settings.get("harness.backend"))
                .getDeclaredConstructor().newInstance();
        LockProvider provider = backend.open(settings);
        int threads = Integer.parseInt(settings.get("harness.threads"));
        List<Thread> loops = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Ledger.Writer writer = ledger.writer("holdfast-harness-ledger-" + workerId);
            Thread t = new Thread(() -> loop(provider, writer), "harness-" + workerId + "-" + i);
            loops.add(t);
        }
        journal.started(ProcessHandle.current().pid());
        loops.forEach(Thread::start);
        readCommands(backend);
        running = false;
        for (Thread t : loops) {
            t.join(20_000);
        }
        try {
            provider.close();
        } catch (RuntimeException e) {
            journal.error("close: " + e);
        }
        backend.close();
        journal.close();
        return 0;
    }

    private void readCommands(WorkerBackend backend) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals("stop")) {
                    return;
                }
                if (line.startsWith("fault ")) {
                    String command = line.substring(6);
                    Thread t = new Thread(() -> {
                        try {
                            backend.inject(command);
                        } catch (RuntimeException e) {
                            journal.error("fault " + command + ": " + e);
                        }
                    }, "harness-fault");
                    t.setDaemon(true);
                    t.start();
                }
            }
        } catch (IOException e) {
            // parent gone: stop
        }
    }

    private void loop(LockProvider provider, Ledger.Writer writer) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        Ledger.Writer w = writer;
        while (running) {
            String name = names.get(rnd.nextInt(names.size()));
            Optional<Lease> got;
            try {
                got = provider.tryAcquire(LockRequest.named(name).leaseTime(leaseTime).waitTime(waitTime).build());
            } catch (LockException e) {
                journal.error("acquire " + name + ": " + e);
                pause(20 + rnd.nextInt(50));
                continue;
            }
            if (got.isEmpty()) {
                continue;
            }
            Lease lease = got.get();
            long start = System.nanoTime();
            String owner = lease.ownerId();
            journal.grant(name, lease.token(), owner, start);
            AtomicLong lostAt = new AtomicLong();
            lease.onLost(e -> {
                long t = System.nanoTime();
                if (lostAt.compareAndSet(0, t)) {
                    journal.lost(owner, t);
                }
            });
            // the critical section, before the protected write: mostly short, sometimes long enough to be
            // renewed (and so to be hit by a fault while held)
            pause(rnd.nextInt(100) < longHoldPercent ? rnd.nextLong(longHoldMillis + 1) : rnd.nextLong(workMaxMillis + 1));
            boolean held = lease.isHeld();
            long at = System.nanoTime();
            int accepted;
            try {
                accepted = w.write(name, lease.token(), workerId) ? 1 : 0;
            } catch (SQLException e) {
                accepted = -1;
                journal.error("ledger: " + e);
                w.close();
                w = reconnect(w);
            }
            journal.write(owner, at, System.nanoTime(), accepted, held);
            long end = System.nanoTime();
            boolean seenLost = !lease.isHeld();
            long deadline = lease instanceof AbstractLease al ? al.deadlineNanos() : Long.MAX_VALUE;
            long lost = lostAt.get();
            long giveUp = System.nanoTime() + 1_000_000_000L; // listeners may run a moment after isHeld turns false
            while (seenLost && (lost = lostAt.get()) == 0 && System.nanoTime() - giveUp < 0) {
                pause(1);
            }
            journal.end(owner, end, deadline, lost, seenLost);
            try {
                lease.release();
            } catch (LockException e) {
                journal.error("release " + name + ": " + e);
            }
        }
        w.close();
    }

    private Ledger.Writer reconnect(Ledger.Writer old) {
        while (running) {
            try {
                return ledger.writer("holdfast-harness-ledger-" + workerId);
            } catch (SQLException e) {
                journal.error("ledger reconnect: " + e);
                pause(200);
            }
        }
        return old;
    }

    private static void pause(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
