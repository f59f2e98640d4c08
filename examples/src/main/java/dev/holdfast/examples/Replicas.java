package dev.holdfast.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/** The replica processes: same classpath, separate JVMs, orders on stdin, answers on stdout. */
final class Replicas implements AutoCloseable {
    private final List<Process> processes = new ArrayList<>();
    private final List<Writer> orders = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    private final AtomicLongArray progress;

    private Replicas(int n) {
        progress = new AtomicLongArray(n);
    }

    static Replicas launch(Settings settings, String runId) throws IOException, InterruptedException {
        int n = settings.number("replicas");
        Replicas fleet = new Replicas(n);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("holdfast.demo.classpath", System.getProperty("java.class.path"));
        try {
            for (int i = 0; i < n; i++) {
                List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                        "-Xmx256m", "-cp", classpath, Replica.class.getName()));
                command.addAll(settings.with("replica", String.valueOf(i)).asArgs());
                Path log = Files.createTempFile("holdfast-demo-replica-" + i + "-", ".log");
                log.toFile().deleteOnExit();
                Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
                fleet.processes.add(p);
                fleet.logs.add(log);
                fleet.orders.add(new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
                fleet.listen(i, p);
            }
            fleet.await("ready", 120);
            return fleet;
        } catch (IOException | RuntimeException | InterruptedException e) {
            fleet.close();
            throw e;
        }
    }

    private void listen(int replica, Process p) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("progress ")) {
                        progress.set(replica, Long.parseLong(line.substring(9).trim()));
                    } else {
                        answers.add(replica + " " + line);
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
            answers.add(replica + " exited");
        }, "replica-" + replica + "-reader");
        t.setDaemon(true);
        t.start();
    }

    interface ProgressLine {
        void print(long itemsDone);
    }

    /** Sends {@code order} to every replica and waits until each answers done. */
    void run(String order, ProgressLine progressLine) throws IOException, InterruptedException {
        for (int i = 0; i < progress.length(); i++) {
            progress.set(i, 0);
        }
        for (Writer w : orders) {
            w.write("run " + order + "\n");
            w.flush();
        }
        await("done", 600, progressLine);
    }

    private void await(String expected, int timeoutSeconds) throws InterruptedException {
        await(expected, timeoutSeconds, done -> { });
    }

    private void await(String expected, int timeoutSeconds, ProgressLine progressLine) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        int pending = processes.size();
        while (pending > 0) {
            String answer = answers.poll(200, TimeUnit.MILLISECONDS);
            if (answer == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("replicas did not answer '" + expected + "' within "
                            + timeoutSeconds + " s" + logTails());
                }
                if (System.nanoTime() > nextProgress) {
                    long done = 0;
                    for (int i = 0; i < progress.length(); i++) {
                        done += progress.get(i);
                    }
                    progressLine.print(done);
                    nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                }
                continue;
            }
            String what = answer.substring(answer.indexOf(' ') + 1);
            if (what.equals(expected)) {
                pending--;
            } else {
                throw new IllegalStateException("replica " + answer + logTails());
            }
        }
    }

    private String logTails() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < logs.size(); i++) {
            try {
                List<String> lines = Files.readAllLines(logs.get(i), StandardCharsets.UTF_8);
                if (!lines.isEmpty()) {
                    sb.append("\n--- replica ").append(i).append(" stderr (last lines) ---\n");
                    sb.append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
                }
            } catch (IOException ignored) {
                // no log
            }
        }
        return sb.toString();
    }

    @Override
    public void close() {
        for (Writer w : orders) {
            try {
                w.write("exit\n");
                w.flush();
            } catch (IOException ignored) {
                // already gone
            }
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        for (Path log : logs) {
            try {
                Files.deleteIfExists(log);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }
}
