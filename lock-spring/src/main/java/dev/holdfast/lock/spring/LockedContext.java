package dev.holdfast.lock.spring;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockProvider;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The leases the current thread holds through {@link Locked} methods and {@link LockTemplate}: the
 * innermost one is {@link #currentLease()}. Used for the fencing token inside a locked method, and to let a
 * nested call for a name the thread already holds join the outer lease — only a lease of the same provider:
 * the same name on another provider (another backend) is another lock and is taken there.
 */
public final class LockedContext {

    private record Held(LockProvider provider, Lease lease) {
    }

    private static final ThreadLocal<ArrayDeque<Held>> HELD = new ThreadLocal<>();

    private LockedContext() {
    }

    /** The lease of the innermost {@link Locked} method (or {@link LockTemplate} action) running on this thread. */
    public static Optional<Lease> currentLease() {
        ArrayDeque<Held> stack = HELD.get();
        Held top = stack == null ? null : stack.peekFirst();
        return top == null ? Optional.empty() : Optional.of(top.lease());
    }

    /** The lease of {@code provider} for {@code name} this thread holds through an enclosing locked call, if any. */
    static @Nullable Lease held(LockProvider provider, String name) {
        ArrayDeque<Held> stack = HELD.get();
        if (stack == null) {
            return null;
        }
        for (Iterator<Held> it = stack.iterator(); it.hasNext(); ) {
            Held h = it.next();
            if (h.provider() == provider && h.lease().name().equals(name)) {
                return h.lease();
            }
        }
        return null;
    }

    static void push(LockProvider provider, Lease lease) {
        ArrayDeque<Held> stack = HELD.get();
        if (stack == null) {
            stack = new ArrayDeque<>();
            HELD.set(stack);
        }
        stack.push(new Held(provider, lease));
    }

    static void pop() {
        ArrayDeque<Held> stack = HELD.get();
        if (stack != null) {
            stack.poll();
            if (stack.isEmpty()) {
                HELD.remove();
            }
        }
    }
}
