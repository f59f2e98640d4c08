package dev.holdfast.lock.testkit;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.spi.AbstractLease;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Records lease grants from many threads (and, through files, many processes on one machine) and checks
 * them: no two valid leases of one name overlap, tokens strictly increase in grant order, every lease that
 * was lost was reported lost, every protected effect happened exactly once.
 *
 * <p>Times are {@link System#nanoTime()} readings, which on Linux come from one system-wide monotonic
 * clock, so histories of processes on the same machine can be merged. A grant's valid interval is from
 * just after {@code tryAcquire} returned to the earliest of: the moment the holder stopped acting (taken
 * just before release), the moment the loss was reported, and the lease's local deadline. A grant whose
 * interval is empty (its holder was frozen between the backend's grant and the return, past the local
 * deadline) was never valid and takes part in neither the overlap nor the token-order check.
 */
public final class History {

    /**
     * One grant.
     *
     * @param name      lock name
     * @param token     fencing token
     * @param owner     owner id
     * @param start     nanoTime just after the grant was returned
     * @param validUntil nanoTime when the lease stopped being valid: the earliest of the end of the
     *                   holder's work (taken before release), the loss report, and the lease's local deadline
     * @param lostAt     nanoTime when loss was reported, or 0 if it was not
     * @param lostKnown  whether the holder saw the lease as lost (isHeld false) at the end of its work
     */
    public record Grant(String name, long token, String owner, long start, long validUntil, long lostAt, boolean lostKnown) {

        String encode() {
            Base64.Encoder b64 = Base64.getUrlEncoder();
            return b64.encodeToString(name.getBytes(StandardCharsets.UTF_8)) + " " + token + " "
                    + b64.encodeToString(owner.getBytes(StandardCharsets.UTF_8)) + " " + start + " " + validUntil + " "
                    + lostAt + " " + lostKnown;
        }

        static Grant decode(String line) {
            String[] f = line.split(" ");
            Base64.Decoder b64 = Base64.getUrlDecoder();
            return new Grant(new String(b64.decode(f[0]), StandardCharsets.UTF_8), Long.parseLong(f[1]),
                    new String(b64.decode(f[2]), StandardCharsets.UTF_8), Long.parseLong(f[3]), Long.parseLong(f[4]),
                    Long.parseLong(f[5]), Boolean.parseBoolean(f[6]));
        }
    }

    private static final long LISTENER_GRACE_NANOS = 1_000_000_000L;

    private final ConcurrentLinkedQueue<Grant> grants = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> effects = new ConcurrentLinkedQueue<>();

    /** A recorder for one lease; call {@link Recording#end()} just before releasing. */
    public Recording record(Lease lease) {
        return new Recording(lease);
    }

    /** Records that the protected effect {@code id} happened (checked by {@link #checkEffects}). */
    public void effect(String id) {
        effects.add(requireNonNull(id, "id"));
    }

    /** Adds grants read from other processes' files. */
    public void addAll(List<Grant> more) {
        grants.addAll(more);
    }

    /** The grants recorded so far. */
    public List<Grant> grants() {
        return List.copyOf(grants);
    }

    /** Appends this history's grants to {@code file}, one line each (for merging across processes). */
    public void writeTo(Path file) {
        StringBuilder sb = new StringBuilder();
        for (Grant g : grants) {
            sb.append(g.encode()).append('\n');
        }
        try {
            Files.writeString(file, sb, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads grants written by {@link #writeTo}. */
    public static List<Grant> readFrom(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).map(Grant::decode).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Checks exclusion, token order and loss reporting.
     *
     * @return the violations, empty if none
     */
    public List<String> violations() {
        return check(grants());
    }

    /** Throws an AssertionError listing the violations, if any. */
    public void assertValid() {
        List<String> v = violations();
        if (!v.isEmpty()) {
            throw new AssertionError(v.size() + " violation(s) in a history of " + grants.size() + " grants:\n  "
                    + String.join("\n  ", v.subList(0, Math.min(20, v.size()))));
        }
    }

    /**
     * Checks that every id in {@code expected} happened exactly once and nothing else happened.
     *
     * @return the violations, empty if none
     */
    public List<String> checkEffects(List<String> expected) {
        Map<String, Integer> counts = new HashMap<>();
        effects.forEach(e -> counts.merge(e, 1, Integer::sum));
        List<String> out = new ArrayList<>();
        for (String id : expected) {
            int n = counts.getOrDefault(id, 0);
            if (n != 1) {
                out.add("effect " + id + " happened " + n + " times");
            }
        }
        counts.keySet().stream().filter(k -> !expected.contains(k)).forEach(k -> out.add("unexpected effect " + k));
        return out;
    }

    /** The checks, over any list of grants. */
    public static List<String> check(List<Grant> all) {
        List<String> out = new ArrayList<>();
        Map<String, List<Grant>> byName = new HashMap<>();
        for (Grant g : all) {
            byName.computeIfAbsent(g.name(), k -> new ArrayList<>()).add(g);
            if (g.lostKnown() && g.lostAt() == 0) {
                out.add("lease " + g.name() + "#" + g.token() + " of " + g.owner()
                        + " was seen lost by its holder but never reported lost to its listeners");
            }
        }
        for (List<Grant> list : byName.values()) {
            list.sort(Comparator.comparingLong(Grant::start));
            Grant reach = null; // the earlier grant whose validity reaches furthest
            long maxToken = Long.MIN_VALUE;
            for (Grant g : list) {
                if (g.validUntil() <= g.start()) {
                    // never valid: its deadline passed before its holder got it (a holder frozen mid-acquire);
                    // it overlaps nothing, and the order of its token says nothing about this history
                    continue;
                }
                if (reach != null && reach.validUntil() > g.start()) {
                    out.add("overlap on '" + g.name() + "': token " + reach.token() + " (" + reach.owner()
                            + ") valid until " + reach.validUntil() + " but token " + g.token() + " ("
                            + g.owner() + ") granted at " + g.start());
                }
                if (g.token() <= maxToken) {
                    out.add("token order on '" + g.name() + "': token " + g.token() + " granted at " + g.start()
                            + " after token " + maxToken);
                }
                maxToken = Math.max(maxToken, g.token());
                if (reach == null || g.validUntil() > reach.validUntil()) {
                    reach = g;
                }
            }
        }
        return out;
    }

    /** Tracks one lease from grant to end. */
    public final class Recording {
        private final Lease lease;
        private final long start;
        private final AtomicLong lostAt = new AtomicLong();
        private boolean ended;

        private Recording(Lease lease) {
            this.start = System.nanoTime();
            this.lease = lease;
            lease.onLost(e -> lostAt.compareAndSet(0, System.nanoTime()));
        }

        /** Records the end of the protected work; call just before releasing. Idempotent. */
        public Grant end() {
            long end = System.nanoTime();
            boolean lostKnown = !lease.isHeld();
            long until = end;
            if (lease instanceof AbstractLease al) {
                until = Math.min(until, al.deadlineNanos()); // providers on the system ticker
            }
            long lost = lostAt.get();
            if (lostKnown && lost == 0) {
                // the listener runs on the thread that detected the loss, maybe a moment after isHeld turned false
                long giveUp = System.nanoTime() + LISTENER_GRACE_NANOS;
                while ((lost = lostAt.get()) == 0 && System.nanoTime() - giveUp < 0) {
                    Thread.onSpinWait();
                }
            }
            if (lost != 0) {
                until = Math.min(until, lost);
            }
            Grant g = new Grant(lease.name(), lease.token(), lease.ownerId(), start, until, lost, lostKnown);
            if (!ended) {
                ended = true;
                grants.add(g);
            }
            return g;
        }

        /** Runs {@code work} between the grant and {@link #end()}, then releases the lease. */
        public <T> T around(Supplier<T> work) {
            try {
                return work.get();
            } finally {
                end();
                lease.release();
            }
        }
    }
}
