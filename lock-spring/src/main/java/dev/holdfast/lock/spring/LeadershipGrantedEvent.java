package dev.holdfast.lock.spring;

import dev.holdfast.lock.Lease;
import org.springframework.context.ApplicationEvent;

/** This node became the leader of {@link #name()}; published by {@link LeaderElectionLifecycle}. */
public class LeadershipGrantedEvent extends ApplicationEvent {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final transient Lease lease;

    public LeadershipGrantedEvent(Object source, String name, Lease lease) {
        super(source);
        this.name = name;
        this.lease = lease;
    }

    /** The election's lock name. */
    public String name() {
        return name;
    }

    /** The leader's lease (its {@code token()} fences the leader's writes). */
    public Lease lease() {
        return lease;
    }
}
