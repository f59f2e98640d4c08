package dev.holdfast.lock;

/**
 * Receives {@link LockEvent}s from a provider, on the thread where they happen (a caller's thread or the
 * provider's renewal thread). Implementations must be fast and must not block; exceptions they throw are
 * logged and ignored.
 */
@FunctionalInterface
public interface LockListener {

    /** Called for each event. */
    void onEvent(LockEvent event);
}
