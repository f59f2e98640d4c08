package dev.holdfast.lock.spring;

import dev.holdfast.lock.Lease;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The leases the current thread holds through {@link Locked} methods and {@link LockTemplate}: the
 * innermost one is {@link #currentLease()}. Used for the fencing token inside a locked method, and to let a
 * nested call for a name the thread already holds join the outer lease.
 */
public final class LockedContext {

    private static final ThreadLocal<ArrayDeque<Lease>> HELD = new ThreadLocal<>();

    private LockedContext() {
    }

    /** The lease of the innermost {@link Locked} method (or {@link LockTemplate} action) running on this thread. */
    public static Optional<Lease> currentLease() {
        ArrayDeque<Lease> stack = HELD.get();
        return stack == null ? Optional.empty() : Optional.ofNullable(stack.peekFirst());
    }

    /** The lease for {@code name} this thread holds through an enclosing locked call, if any. */
    static @Nullable Lease held(String name) {
        ArrayDeque<Lease> stack = HELD.get();
        if (stack == null) {
            return null;
        }
        for (Iterator<Lease> it = stack.iterator(); it.hasNext(); ) {
            Lease l = it.next();
            if (l.name().equals(name)) {
                return l;
            }
        }
        return null;
    }

    static void push(Lease lease) {
        ArrayDeque<Lease> stack = HELD.get();
        if (stack == null) {
            stack = new ArrayDeque<>();
            HELD.set(stack);
        }
        stack.push(lease);
    }

    static void pop() {
        ArrayDeque<Lease> stack = HELD.get();
        if (stack != null) {
            stack.poll();
            if (stack.isEmpty()) {
                HELD.remove();
            }
        }
    }
}
