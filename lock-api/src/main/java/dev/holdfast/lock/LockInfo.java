package dev.holdfast.lock;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Who holds a lock, as the backend records it (for operators; it may be stale the moment it is read).
 *
 * @param name       the lock name
 * @param ownerId    the holder's owner id
 * @param token      the holder's fencing token
 * @param acquiredAt when the holder was granted the lock, if the backend records it
 * @param expiresIn  how long until the backend frees the lock unless renewed, or {@code null} when the
 *                   lock lives as long as the holder's connection or session
 * @param waiters    how many requests queue for the lock, or -1 if the backend does not know
 */
public record LockInfo(String name, String ownerId, long token, @Nullable Instant acquiredAt,
                       @Nullable Duration expiresIn, int waiters) {
}
