package dev.holdfast.lock.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random schedules of acquire, release, extend and backend-side expiry by several clients, run one step at
 * a time against the backend and checked against a sequential model of what a correct lock must answer.
 * jqwik shrinks a failing schedule to a short one. A backend's test extends this class like
 * {@link LockProviderContract}.
 *
 * <p>The model: a name is free or held by one lease; a client never has two open leases on one name; a
 * lease expired on the backend is <em>stale</em> — its client does not know yet, but its release must not
 * free the next holder's lock and its extension must be refused; tokens strictly increase per name.
 */
public abstract class LockProviderProperties {

    private static final int CLIENTS = 2;
    private static final int NAMES = 2;

    /** A new client of the backend under test. */
    protected abstract LockProvider createProvider();

    /** This backend's fault hooks ({@link Faults#expire} is used). */
    protected abstract Faults faults();

    /**
     * Whether {@link Faults#expire} ends the holder's whole connection or session, and with it the client's
     * other locks too (advisory locks, GET_LOCK). The model then stops predicting those other locks until
     * an observation settles them.
     */
    protected boolean expiryEndsTheWholeSession() {
        return false;
    }

    /** One step of a schedule. */
    public sealed interface Op permits Acquire, Release, Extend, Expire, Check {
    }

    /** Client {@code client} tries once to take name {@code name}. */
    public record Acquire(int client, int name) implements Op {
    }

    /** Client {@code client} releases its lease on {@code name}, if it has one. */
    public record Release(int client, int name) implements Op {
    }

    /** Client {@code client} extends its lease on {@code name}, if it has one. */
    public record Extend(int client, int name) implements Op {
    }

    /** The backend forgets the holder of {@code name}. */
    public record Expire(int name) implements Op {
    }

    /** Client {@code client} checks its lease on {@code name}. */
    public record Check(int client, int name) implements Op {
    }

    @Provide
    Arbitrary<List<Op>> schedules() {
        Arbitrary<Integer> c = Arbitraries.integers().between(0, CLIENTS - 1);
        Arbitrary<Integer> n = Arbitraries.integers().between(0, NAMES - 1);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, Combinators.combine(c, n).as(Acquire::new)),
                net.jqwik.api.Tuple.of(3, Combinators.combine(c, n).as(Release::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(c, n).as(Extend::new)),
                net.jqwik.api.Tuple.of(2, n.map(Expire::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(c, n).as(Check::new)));
        return op.list().ofMinSize(20).ofMaxSize(40);
    }

    private enum Status { VALID, STALE }

    private static final class Ref {
        final int client;
        final int name;
        final Lease lease;
        Status status = Status.VALID;

        Ref(int client, int name, Lease lease) {
            this.client = client;
            this.name = name;
            this.lease = lease;
        }
    }

    private static final class Slot {
        Ref holder;        // the lease the backend holds the name for, if known
        boolean certain = true;
        long lastToken = Long.MIN_VALUE;
    }

    @Property(tries = 60)
    void randomSchedulesMatchTheSequentialModel(@ForAll("schedules") List<Op> schedule) {
        String base = "hf-prop-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        List<LockProvider> clients = new ArrayList<>();
        Map<Integer, Slot> slots = new HashMap<>();
        Map<List<Integer>, Ref> open = new HashMap<>();
        for (int i = 0; i < NAMES; i++) {
            slots.put(i, new Slot());
        }
        try {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(createProvider());
            }
            int step = 0;
            for (Op op : schedule) {
                String at = "step " + step++ + " " + op + " of " + schedule;
                apply(op, at, base, clients, slots, open);
            }
        } finally {
            for (Ref ref : open.values()) {
                try {
                    ref.lease.release();
                } catch (RuntimeException ignored) {
                    // cleanup only
                }
            }
            clients.forEach(LockProvider::close);
        }
    }

    private void apply(Op op, String at, String base, List<LockProvider> clients, Map<Integer, Slot> slots,
                       Map<List<Integer>, Ref> open) {
        if (op instanceof Acquire a) {
            Slot slot = slots.get(a.name());
            List<Integer> key = List.of(a.client(), a.name());
            Optional<Lease> got = clients.get(a.client()).tryAcquire(
                    LockRequest.named(base + a.name()).leaseTime(Duration.ofSeconds(60)).build());
            if (open.containsKey(key)) {
                assertThat(got).as("%s: a client with an open lease on the name must be busy", at).isEmpty();
                return;
            }
            if (slot.certain) {
                assertThat(got.isPresent()).as("%s: granted iff free (holder %s)", at, slot.holder == null ? "none" : "client " + slot.holder.client)
                        .isEqualTo(slot.holder == null);
            }
            if (got.isPresent()) {
                Lease lease = got.get();
                assertThat(lease.token()).as("%s: token must increase", at).isGreaterThan(slot.lastToken);
                slot.lastToken = lease.token();
                if (slot.holder != null) {
                    slot.holder.status = Status.STALE; // settled: the backend had dropped it
                }
                Ref ref = new Ref(a.client(), a.name(), lease);
                slot.holder = ref;
                slot.certain = true;
                open.put(key, ref);
            } else {
                slot.certain = true; // settled: the holder is still valid
            }
        } else if (op instanceof Release r) {
            Ref ref = open.remove(List.of(r.client(), r.name()));
            if (ref == null) {
                return;
            }
            Slot slot = slots.get(r.name());
            boolean released = ref.lease.release();
            if (slot.holder == ref) {
                if (slot.certain) {
                    assertThat(released).as("%s: releasing a valid lease", at).isTrue();
                }
                slot.holder = null;
                slot.certain = true;
            }
            assertThat(ref.lease.isHeld()).as("%s: released lease", at).isFalse();
        } else if (op instanceof Extend e) {
            List<Integer> key = List.of(e.client(), e.name());
            Ref ref = open.get(key);
            if (ref == null) {
                return;
            }
            Slot slot = slots.get(e.name());
            boolean valid = slot.holder == ref;
            try {
                ref.lease.extend(Duration.ofSeconds(60));
                if (slot.certain || !valid) {
                    assertThat(ref.status).as("%s: extending a stale lease must be refused", at).isEqualTo(Status.VALID);
                }
                slot.certain = slot.certain || valid;
            } catch (LockLostException lost) {
                if (slot.certain && valid) {
                    throw new AssertionError(at + ": extending a valid lease was refused", lost);
                }
                open.remove(key);
                assertThat(ref.lease.isHeld()).as("%s: refused lease must not be held", at).isFalse();
                if (valid) {
                    slot.holder = null;
                    slot.certain = true;
                }
            }
        } else if (op instanceof Expire x) {
            Slot slot = slots.get(x.name());
            faults().expire(base + x.name());
            Ref holder = slot.holder;
            if (holder == null) {
                return;
            }
            holder.status = Status.STALE;
            slot.holder = null;
            slot.certain = true;
            if (expiryEndsTheWholeSession()) {
                for (Ref other : open.values()) {
                    if (other.client == holder.client && other != holder && slots.get(other.name).holder == other) {
                        slots.get(other.name).certain = false;
                    }
                }
            }
        } else if (op instanceof Check c) {
            Ref ref = open.get(List.of(c.client(), c.name()));
            Slot slot = slots.get(c.name());
            if (ref != null && slot.holder == ref && slot.certain) {
                assertThat(ref.lease.isHeld()).as("%s: a valid lease is held", at).isTrue();
            }
        }
    }
}
