package dev.holdfast.lock.spring;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LeaderElection;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockProvider;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.ApplicationEventPublisherAware;
import org.springframework.context.SmartLifecycle;

/**
 * A {@link LeaderElection} that starts with the application context and gives leadership up when the
 * context stops or closes (so another node takes over at once), publishing {@link LeadershipGrantedEvent}
 * and {@link LeadershipRevokedEvent} as application events:
 *
 * <pre>{@code
 * @EventListener void onGranted(LeadershipGrantedEvent e) { worker.start(e.lease().token()); }
 * @EventListener void onRevoked(LeadershipRevokedEvent e) { worker.stop(); }
 * }</pre>
 *
 * Spring Boot creates one when {@code holdfast.lock.leader.name} is set; declare more as beans. Events are
 * published on the election's thread, one at a time, granted and revoked strictly alternating. It starts
 * in the last lifecycle phase and so stops first, before the beans it may drive.
 */
public class LeaderElectionLifecycle implements SmartLifecycle, ApplicationEventPublisherAware {

    private final LockProvider provider;
    private final String name;
    private final Duration leaseTime;
    private final Duration retryInterval;
    private @Nullable ApplicationEventPublisher publisher;
    private volatile @Nullable LeaderElection election;

    /**
     * @param provider      the provider whose lock is contended for
     * @param name          the lock name (one per group of nodes electing a leader)
     * @param leaseTime     how long a crashed leader keeps leadership
     * @param retryInterval how long each attempt waits, and the pause after a backend failure
     * @throws IllegalArgumentException if a value is invalid (checked at once)
     */
    public LeaderElectionLifecycle(LockProvider provider, String name, Duration leaseTime, Duration retryInterval) {
        this.provider = requireNonNull(provider, "provider");
        this.name = name;
        this.leaseTime = leaseTime;
        this.retryInterval = retryInterval;
        LeaderElection.builder(provider, name).leaseTime(leaseTime).retryInterval(retryInterval);
    }

    @Override
    public void setApplicationEventPublisher(ApplicationEventPublisher publisher) {
        this.publisher = publisher;
    }

    /** The lock name contended for. */
    public String name() {
        return name;
    }

    /** Whether this node leads now. */
    public boolean isLeader() {
        LeaderElection e = election;
        return e != null && e.isLeader();
    }

    /** The leader's lease while this node leads (for its fencing token). */
    public Optional<Lease> currentLease() {
        LeaderElection e = election;
        return e == null ? Optional.empty() : e.currentLease();
    }

    @Override
    public synchronized void start() {
        if (election != null) {
            return;
        }
        election = LeaderElection.builder(provider, name)
                .leaseTime(leaseTime)
                .retryInterval(retryInterval)
                .listener(new LeaderElection.Listener() {
                    @Override
                    public void leadershipGained(Lease lease) {
                        publish(new LeadershipGrantedEvent(LeaderElectionLifecycle.this, name, lease));
                    }

                    @Override
                    public void leadershipLost(@Nullable LockLostException cause) {
                        publish(new LeadershipRevokedEvent(LeaderElectionLifecycle.this, name, cause));
                    }
                })
                .build()
                .start();
    }

    private void publish(Object event) {
        ApplicationEventPublisher p = publisher;
        if (p != null) {
            p.publishEvent(event);
        }
    }

    @Override
    public synchronized void stop() {
        LeaderElection e = election;
        election = null;
        if (e != null) {
            e.close();
        }
    }

    @Override
    public boolean isRunning() {
        return election != null;
    }

    @Override
    public String toString() {
        return "LeaderElectionLifecycle[" + name + ", " + (isLeader() ? "leading" : "not leading") + "]";
    }
}
