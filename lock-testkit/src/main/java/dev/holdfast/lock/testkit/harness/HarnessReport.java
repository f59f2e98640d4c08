package dev.holdfast.lock.testkit.harness;

import dev.holdfast.lock.testkit.History;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The checked outcome of a {@link HarnessRun}. The checks, over the merged journals and the ledger:
 * <ol>
 *   <li>{@link History#check}: no two valid leases of a name overlap, tokens increase in grant order, a
 *       lease its holder saw lost was reported lost. A grant's validity ends at the earliest of its end of
 *       work, its loss report, its local deadline and — for a killed worker — the kill. Overlaps whose
 *       earlier lease was hit by a fault the backend declares may break exclusion
 *       ({@link HarnessRun.Builder#exclusionMayBreakAfter}) are counted as tolerated, not violations.</li>
 *   <li>Ledger: in commit order, each name's accepted tokens strictly increase; every write a journal
 *       says was accepted is in the ledger, and every ledger write belongs to a recorded grant (a killed
 *       worker may die between its commit and its journal line: counted, allowed for killed workers only);
 *       a write rejected while its lease was still valid (and not in a tolerated overlap) is a violation.</li>
 *   <li>Loss: a lease still worked on after its local deadline must have been reported lost; for each
 *       fault, the delay from the fault (for SIGSTOP: from SIGCONT) to each loss report it caused.</li>
 *   <li>Crash: every lock a killed worker held was granted again within the backend's crash bound plus a
 *       slack for waiters' back-off.</li>
 * </ol>
 */
public final class HarnessReport {

    private static final long MS = 1_000_000L;

    /** One grant as reconstructed from a journal. */
    static final class GrantRec {
        String name = "";
        long token;
        String owner = "";
        String worker = "";
        long start;
        long end;
        long deadline;
        long lostAt;
        boolean seenLost;
        long validUntil;
        boolean toleratedOverlap;
        final List<long[]> writes = new ArrayList<>(); // {answered at, accepted, held}
    }

    private final String label;
    private final HarnessRun.Builder config;
    private Map<String, Long> kills = Map.of();
    private final List<String> violations = new ArrayList<>();
    private final Map<FaultKind, Integer> faultCounts = new EnumMap<>(FaultKind.class);
    private final Map<FaultKind, List<Long>> lossDelays = new EnumMap<>(FaultKind.class);
    private final List<Long> crashReleaseDelays = new ArrayList<>();
    private final List<Long> reportsAfterDeadline = new ArrayList<>();
    private int grants;
    private int workerProcesses;
    private int faultsHittingHolders;
    private int toleratedOverlaps;
    private int staleLeasesOverlapped;
    private int staleHoldersNeverTold;
    private long staleWritesOfUntold;
    private long maxToleratedOverlapNanos;
    private long acceptedWrites;
    private long rejectedWrites;
    private long rejectedAfterLoss;
    private long failedWrites;
    private long unjournaledWrites;
    private long backendErrors;
    private long lossReports;
    private double seconds;

    private HarnessReport(String label, HarnessRun.Builder config) {
        this.label = label;
        this.config = config;
    }

    static HarnessReport analyse(String label, HarnessRun.Builder config, List<String> names, Map<String, Path> journals,
                                 Map<String, Long> kills, List<HarnessRun.Fault> faults, Ledger ledger,
                                 long startedAt, long runStart, long stoppedAt, Path dir) throws SQLException {
        HarnessReport r = new HarnessReport(label, config);
        r.kills = kills;
        r.seconds = (stoppedAt - runStart) / 1e9;
        r.workerProcesses = journals.size();
        faults.forEach(f -> r.faultCounts.merge(f.kind(), 1, Integer::sum));
        Map<String, GrantRec> byOwner = new LinkedHashMap<>();
        for (Map.Entry<String, Path> j : journals.entrySet()) {
            r.read(j.getKey(), j.getValue(), byOwner);
        }
        List<GrantRec> all = new ArrayList<>(byOwner.values());
        r.grants = all.size();
        long leaseNanos = config.leaseTime().toNanos();
        for (GrantRec g : all) {
            long until = g.end != 0 ? Math.min(g.end, g.deadline) : g.start + leaseNanos;
            Long killed = kills.get(g.worker);
            if (g.end == 0 && killed != null) {
                until = Math.min(until, killed);
            } else if (g.end == 0) {
                r.violations.add("grant " + g.name + "#" + g.token + " of live worker " + g.worker + " never ended");
            }
            if (g.lostAt != 0) {
                until = Math.min(until, g.lostAt);
            }
            g.validUntil = until;
        }
        r.checkHistory(all, faults);
        r.checkLedger(all, ledger, kills);
        r.checkLoss(all, faults);
        r.checkCrashes(all, faults, kills, stoppedAt);
        r.writeFaultLog(all, faults, runStart, dir.resolve("faults.txt"));
        return r;
    }

    private void read(String worker, Path file, Map<String, GrantRec> byOwner) {
        if (!file.toFile().exists()) {
            return;
        }
        for (String[] f : Journal.read(file)) {
            switch (f[0]) {
                case "G" -> {
                    GrantRec g = new GrantRec();
                    g.name = Journal.dec(f[1]);
                    g.token = Long.parseLong(f[2]);
                    g.owner = Journal.dec(f[3]);
                    g.worker = worker;
                    g.start = Long.parseLong(f[4]);
                    byOwner.put(g.owner, g);
                }
                case "L" -> {
                    GrantRec g = byOwner.get(Journal.dec(f[1]));
                    lossReports++;
                    if (g != null && g.lostAt == 0) {
                        g.lostAt = Long.parseLong(f[2]);
                    }
                }
                case "W" -> {
                    GrantRec g = byOwner.get(Journal.dec(f[1]));
                    if (g != null) {
                        g.writes.add(new long[] {Long.parseLong(f[3]), Long.parseLong(f[4]), Boolean.parseBoolean(f[5]) ? 1 : 0});
                    }
                }
                case "E" -> {
                    GrantRec g = byOwner.get(Journal.dec(f[1]));
                    if (g != null) {
                        g.end = Long.parseLong(f[2]);
                        g.deadline = Long.parseLong(f[3]);
                        long lost = Long.parseLong(f[4]);
                        if (g.lostAt == 0 && lost != 0) {
                            g.lostAt = lost;
                        }
                        g.seenLost = Boolean.parseBoolean(f[5]);
                    }
                }
                case "X" -> backendErrors++;
                default -> {
                    // S: start marker
                }
            }
        }
    }

    private void checkHistory(List<GrantRec> all, List<HarnessRun.Fault> faults) {
        List<History.Grant> hist = new ArrayList<>();
        for (GrantRec g : all) {
            hist.add(new History.Grant(g.name, g.token, g.owner + "@" + g.worker, g.start, g.validUntil, g.lostAt, g.seenLost));
        }
        for (String v : History.check(hist)) {
            if (!v.startsWith("overlap on")) {
                violations.add(v);
            }
        }
        // overlaps, the same way History finds them, but telling the tolerated ones apart
        Map<String, List<GrantRec>> byName = new HashMap<>();
        all.forEach(g -> byName.computeIfAbsent(g.name, k -> new ArrayList<>()).add(g));
        for (List<GrantRec> list : byName.values()) {
            list.sort(Comparator.comparingLong(g -> g.start));
            GrantRec reach = null;
            for (GrantRec g : list) {
                if (g.validUntil <= g.start) {
                    continue; // never valid (frozen mid-acquire past its deadline): see History
                }
                if (reach != null && reach.validUntil > g.start) {
                    HarnessRun.Fault cause = toleratingFault(reach, g, faults);
                    if (cause != null) {
                        toleratedOverlaps++;
                        maxToleratedOverlapNanos = Math.max(maxToleratedOverlapNanos, reach.validUntil - g.start);
                        if (!reach.toleratedOverlap) {
                            staleLeasesOverlapped++;
                            checkStaleHolderTold(reach, cause);
                        }
                        reach.toleratedOverlap = true;
                    } else {
                        violations.add("overlap on '" + g.name + "': token " + reach.token + " (" + reach.worker
                                + ") valid " + (reach.validUntil - g.start) / MS + " ms after token " + g.token + " ("
                                + g.worker + ") was granted");
                    }
                }
                if (reach == null || g.validUntil > reach.validUntil) {
                    reach = g;
                }
            }
        }
    }

    private HarnessRun.@Nullable Fault toleratingFault(GrantRec earlier, GrantRec later, List<HarnessRun.Fault> faults) {
        for (HarnessRun.Fault f : faults) {
            if (config.breaksExclusion.contains(f.kind()) && f.hits(earlier.worker)
                    && f.at() - (earlier.start - 50 * MS) >= 0 && f.at() - later.start <= 0) {
                return f;
            }
        }
        return null;
    }

    /**
     * A holder whose lock was taken over inside a documented window must be told — at its next liveness
     * check (a third of the lease time after the fault, plus a second of slack). One that finished its work
     * and released before that check may never hear of it: counted, not a violation (fencing is what
     * protects it, and the table shows whether its writes were rejected).
     */
    private void checkStaleHolderTold(GrantRec stale, HarnessRun.Fault cause) {
        if (stale.lostAt != 0) {
            return;
        }
        long checkBy = cause.endAt() + config.leaseTime().toNanos() / 3 + 1_000 * MS;
        if (stale.end != 0 && stale.end - checkBy <= 0) {
            staleHoldersNeverTold++;
            staleWritesOfUntold += stale.writes.stream().filter(w -> w[1] == 0).count();
        } else {
            violations.add("lease " + stale.name + "#" + stale.token + " (" + stale.worker + ") was taken over after "
                    + cause.kind() + " but its holder was not told by its next liveness check");
        }
    }

    private void checkLedger(List<GrantRec> all, Ledger ledger, Map<String, Long> kills) throws SQLException {
        List<Ledger.Entry> log = ledger.log();
        long counted = ledger.countedWrites();
        if (counted != log.size()) {
            violations.add("ledger counters say " + counted + " writes, its log has " + log.size());
        }
        Map<String, Long> last = new HashMap<>();
        Set<String> logged = new HashSet<>();
        for (Ledger.Entry e : log) {
            Long prev = last.put(e.name(), e.token());
            if (prev != null && e.token() <= prev) {
                violations.add("ledger accepted token " + e.token() + " on '" + e.name() + "' after token " + prev);
            }
            logged.add(e.name() + " " + e.token());
        }
        Set<String> journaled = new HashSet<>();
        for (GrantRec g : all) {
            for (long[] w : g.writes) {
                if (w[1] == 1) {
                    acceptedWrites++;
                    journaled.add(g.name + " " + g.token);
                    if (!logged.contains(g.name + " " + g.token)) {
                        violations.add("write " + g.name + "#" + g.token + " was reported accepted but is not in the ledger");
                    }
                } else if (w[1] == 0) {
                    rejectedWrites++;
                    if (w[2] == 0) {
                        rejectedAfterLoss++;
                    }
                    if (w[0] - g.validUntil < 0 && !g.toleratedOverlap) {
                        violations.add("ledger rejected " + g.name + "#" + g.token + " (" + g.worker
                                + ") while its lease was valid: a newer token was written during it");
                    }
                } else {
                    failedWrites++;
                }
            }
        }
        for (Ledger.Entry e : log) {
            if (!journaled.contains(e.name() + " " + e.token())) {
                if (kills.containsKey(e.worker())) {
                    unjournaledWrites++;
                } else {
                    violations.add("ledger has write " + e.name() + "#" + e.token() + " by " + e.worker()
                            + " that no journal recorded as accepted");
                }
            }
        }
    }

    private void checkLoss(List<GrantRec> all, List<HarnessRun.Fault> faults) {
        for (GrantRec g : all) {
            if (g.lostAt != 0 && g.end != 0 && g.lostAt - g.deadline > 0 && g.deadline - g.start > 0 && !frozen(g, faults)) {
                reportsAfterDeadline.add(g.lostAt - g.deadline); // isHeld() was already false; onLost came later
            }
            if (g.end != 0 && g.end - g.deadline > 0 && g.lostAt == 0) {
                violations.add("lease " + g.name + "#" + g.token + " (" + g.worker
                        + ") was worked on past its local deadline and never reported lost");
            }
            if (g.lostAt == 0) {
                continue;
            }
            HarnessRun.Fault cause = null;
            for (HarnessRun.Fault f : faults) {
                if (f.kind() != FaultKind.KILL && f.hits(g.worker) && f.at() - g.lostAt < 0
                        && (g.end == 0 || f.at() - g.end < 0) && f.at() - (g.start - 50 * MS) > 0
                        && (cause == null || f.at() - cause.at() > 0)) {
                    cause = f;
                }
            }
            if (cause != null) {
                long from = cause.kind() == FaultKind.STOP ? cause.endAt() : cause.at();
                lossDelays.computeIfAbsent(cause.kind(), k -> new ArrayList<>()).add(Math.max(0, g.lostAt - from));
            }
        }
        for (HarnessRun.Fault f : faults) {
            for (GrantRec g : all) {
                if (openAt(g, f)) {
                    faultsHittingHolders++;
                    break;
                }
            }
        }
        for (HarnessRun.Fault f : faults) {
            if (!config.losesLeases.contains(f.kind())) {
                continue;
            }
            long checkBy = f.endAt() + config.leaseTime().toNanos() / 3 + 1_000 * MS;
            for (GrantRec g : all) {
                if (!openAt(g, f) || g.end == 0 || g.validUntil <= g.start) {
                    continue; // not held then, or killed (nobody left to tell), or never valid
                }
                if (g.lostAt == 0 && g.end - checkBy <= 0) {
                    if (!g.toleratedOverlap) { // those are counted already
                        staleHoldersNeverTold++;
                        staleWritesOfUntold += g.writes.stream().filter(w -> w[1] == 0).count();
                    }
                } else if (g.lostAt == 0) {
                    violations.add("lease " + g.name + "#" + g.token + " (" + g.worker + ") ended on the backend by "
                            + f.kind() + " was still held " + (g.end - f.endAt()) / MS + " ms later, never reported lost");
                } else if (g.lostAt - checkBy > 0 && g.lostAt - g.deadline > 0) {
                    violations.add("lease " + g.name + "#" + g.token + " (" + g.worker + ") ended on the backend by "
                            + f.kind() + " was reported lost only " + (g.lostAt - f.endAt()) / MS + " ms later");
                }
            }
        }
    }

    /** Whether {@code g} was held by a live worker that {@code f} hit, when {@code f} began. */
    private boolean openAt(GrantRec g, HarnessRun.Fault f) {
        return f.hits(g.worker) && g.start - f.at() < 0 && (g.end == 0 ? !killedBefore(g.worker, f.at()) : g.end - f.at() > 0);
    }

    private boolean killedBefore(String worker, long at) {
        Long k = kills.get(worker);
        return k != null && k - at <= 0;
    }

    /** Whether {@code g}'s process was frozen (SIGSTOP) while it held {@code g}: it could not report anything. */
    private static boolean frozen(GrantRec g, List<HarnessRun.Fault> faults) {
        for (HarnessRun.Fault f : faults) {
            if (f.kind() == FaultKind.STOP && f.hits(g.worker) && f.at() - g.end < 0 && f.endAt() - g.start > 0) {
                return true;
            }
        }
        return false;
    }

    private void checkCrashes(List<GrantRec> all, List<HarnessRun.Fault> faults, Map<String, Long> kills, long stoppedAt) {
        long bound = config.crashReleaseBound.toNanos() + config.slack.toNanos();
        Map<String, List<GrantRec>> byName = new HashMap<>();
        all.forEach(g -> byName.computeIfAbsent(g.name, k -> new ArrayList<>()).add(g));
        byName.values().forEach(l -> l.sort(Comparator.comparingLong(g -> g.start)));
        for (GrantRec g : all) {
            Long killedAt = kills.get(g.worker);
            if (killedAt == null || g.end != 0) {
                continue;
            }
            GrantRec next = null;
            for (GrantRec o : byName.get(g.name)) {
                if (o.start - g.start > 0 && !o.worker.equals(g.worker)) {
                    next = o;
                    break;
                }
            }
            if (next == null) {
                if (stoppedAt - killedAt > bound) {
                    violations.add("lock '" + g.name + "' of killed worker " + g.worker + " was never granted again");
                }
                continue;
            }
            long delay = Math.max(0, next.start - killedAt);
            crashReleaseDelays.add(delay);
            if (delay > bound) {
                violations.add("lock '" + g.name + "' of killed worker " + g.worker + " stayed taken " + delay / MS
                        + " ms after the kill (bound " + config.crashReleaseBound.toMillis() + " ms + slack)");
            }
        }
    }

    /** Each fault and the grants of the workers it hit that were open then: what became of them. */
    private void writeFaultLog(List<GrantRec> all, List<HarnessRun.Fault> faults, long runStart, Path file) {
        StringBuilder sb = new StringBuilder();
        for (HarnessRun.Fault f : faults) {
            sb.append(String.format("%8d ms %-8s %-3s %s (%d ms)%n", (f.at() - runStart) / MS, f.kind(), f.worker(),
                    f.detail(), (f.endAt() - f.at()) / MS));
            for (GrantRec g : all) {
                if (openAt(g, f)) {
                    sb.append(String.format("           %s#%d %s held %d ms before; %s; %s; writes %s%n", g.name, g.token,
                            g.worker, (f.at() - g.start) / MS,
                            g.lostAt == 0 ? "not reported lost" : "reported lost " + (g.lostAt - f.at()) / MS + " ms after",
                            g.end == 0 ? "never ended (killed)" : "ended " + (g.end - f.at()) / MS + " ms after",
                            g.writes.stream().map(w -> w[1] == 1 ? "accepted" : w[1] == 0 ? "REJECTED" : "failed").toList()));
                }
            }
        }
        try {
            Files.writeString(file, sb);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The violations found, empty if none. */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /** How many faults of {@code kind} were injected. */
    public int faults(FaultKind kind) {
        return faultCounts.getOrDefault(kind, 0);
    }

    /** Grants recorded. */
    public int grants() {
        return grants;
    }

    /** Writes the ledger rejected (stale tokens). */
    public long staleWritesRejected() {
        return rejectedWrites;
    }

    /** Overlaps inside a documented window after a fault that may break exclusion (see the builder). */
    public int toleratedOverlaps() {
        return toleratedOverlaps;
    }

    /** Throws an AssertionError listing the violations, with the table, if there are any. */
    public void assertNoViolations() {
        if (!violations.isEmpty()) {
            throw new AssertionError(violations.size() + " violation(s):\n  "
                    + String.join("\n  ", violations.subList(0, Math.min(30, violations.size()))) + "\n" + table());
        }
    }

    /** The figures as a text table. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        row(sb, "backend", label);
        row(sb, "run", String.format("%.0f s, %d workers x %d threads (%d processes in all), %d names, lease %d ms",
                seconds, config.workers, config.threads, workerProcesses, config.names, config.leaseTime.toMillis()));
        if (!config.note.isEmpty()) {
            row(sb, "setup", config.note);
        }
        StringBuilder f = new StringBuilder();
        int total = 0;
        for (FaultKind k : FaultKind.values()) {
            if (faultCounts.containsKey(k)) {
                f.append(f.length() == 0 ? "" : ", ").append(k).append(' ').append(faultCounts.get(k));
                total += faultCounts.get(k);
            }
        }
        row(sb, "faults injected", total + " (" + f + "); " + faultsHittingHolders + " hit a holder");
        row(sb, "grants", String.format("%d (%.0f/s)", grants, grants / Math.max(1e-9, seconds)));
        row(sb, "VIOLATIONS", String.valueOf(violations.size()));
        row(sb, "tolerated overlaps", toleratedOverlaps == 0 ? "0"
                : toleratedOverlaps + " grants overlapped " + staleLeasesOverlapped + " stale leases (max "
                + maxToleratedOverlapNanos / MS + " ms) after " + config.breaksExclusion + ": documented window, fenced");
        if (staleHoldersNeverTold > 0) {
            row(sb, "lost, never told", staleHoldersNeverTold + " holders of leases the backend had ended released before"
                    + " their next liveness check and were never told (their rejected writes: " + staleWritesOfUntold + ")");
        }
        row(sb, "ledger writes", acceptedWrites + " accepted, " + rejectedWrites + " stale rejected (" + rejectedAfterLoss
                + " by holders that knew they had lost), " + failedWrites + " failed, " + unjournaledWrites
                + " committed by killed workers before journaling");
        row(sb, "loss reports", String.valueOf(lossReports));
        List<Long> alld = new ArrayList<>();
        for (Map.Entry<FaultKind, List<Long>> e : lossDelays.entrySet()) {
            alld.addAll(e.getValue());
            row(sb, "loss delay " + e.getKey(), stats(e.getValue()) + (e.getKey() == FaultKind.STOP ? " (from SIGCONT)" : ""));
        }
        row(sb, "loss delay all", stats(alld));
        row(sb, "onLost after deadline", stats(reportsAfterDeadline) + " (not SIGSTOPped; isHeld() is false from the deadline on)");
        row(sb, "re-grant after KILL", stats(crashReleaseDelays));
        row(sb, "backend errors", String.valueOf(backendErrors));
        return sb.toString();
    }

    private static String stats(List<Long> nanos) {
        if (nanos.isEmpty()) {
            return "n=0";
        }
        List<Long> s = new ArrayList<>(nanos);
        s.sort(null);
        return String.format("n=%d p50 %d ms, max %d ms", s.size(), s.get(s.size() / 2) / MS, s.get(s.size() - 1) / MS);
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append(String.format("| %-20s | %s%n", k, v));
    }

    @Override
    public String toString() {
        return table();
    }
}
