package dev.holdfast.lock.spring;

import dev.holdfast.lock.LockLostException;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEvent;

/**
 * This node stopped being the leader of {@link #name()}: its lease was lost ({@link #cause()} says why) or
 * the election stopped with the context ({@code cause() == null}). Published by {@link LeaderElectionLifecycle}.
 */
public class LeadershipRevokedEvent extends ApplicationEvent {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final @Nullable LockLostException cause;

    public LeadershipRevokedEvent(Object source, String name, @Nullable LockLostException cause) {
        super(source);
        this.name = name;
        this.cause = cause;
    }

    /** The election's lock name. */
    public String name() {
        return name;
    }

    /** Why the lease was lost, or {@code null} when leadership was given up on purpose. */
    public @Nullable LockLostException cause() {
        return cause;
    }
}
