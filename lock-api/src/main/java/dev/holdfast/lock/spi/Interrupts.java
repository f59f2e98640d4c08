package dev.holdfast.lock.spi;

import java.nio.channels.ClosedByInterruptException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Telling an interrupt apart from a backend failure, and running a backend call that must not be cut
 * short by one. Clients report interrupts in their own ways (Redisson wraps the {@link InterruptedException},
 * JDBC drivers close the socket and throw a connection error with the thread's flag still set), so the
 * provider looks at both the cause chain and the flag.
 */
public final class Interrupts {

    private static final int MAX_DEPTH = 16;

    private Interrupts() {
    }

    /**
     * Whether {@code failure} came from an interrupt: an {@link InterruptedException} or {@link
     * ClosedByInterruptException} in its cause chain, or the current thread's interrupt flag set (the
     * flag is not cleared).
     */
    public static boolean isInterrupt(Throwable failure) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        Throwable t = failure;
        for (int depth = 0; t != null && depth < MAX_DEPTH; depth++) {
            if (t instanceof InterruptedException || t instanceof ClosedByInterruptException) {
                return true;
            }
            t = t.getCause();
        }
        return false;
    }

    /**
     * Runs {@code call} with the thread's interrupt flag cleared and sets the flag again afterwards if it was
     * set before or an interrupt arrived during the call. If the call fails because an interrupt arrived
     * while it ran, it is run again on a short-lived thread of its own, which no caller's interrupt can
     * reach, and this thread waits for it (uninterruptibly). For calls that give something up (release,
     * clean-up after a loss): an interrupt must not leave a lock behind on the backend.
     */
    public static <T> T uninterrupted(Supplier<T> call) {
        boolean interrupted = Thread.interrupted();
        try {
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (!isInterrupt(e)) {
                    throw e;
                }
                interrupted |= Thread.interrupted();
            }
            CompletableFuture<T> result = new CompletableFuture<>();
            Thread helper = new Thread(() -> {
                try {
                    result.complete(call.get());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            }, "holdfast-uninterrupted-" + Thread.currentThread().getName());
            helper.setDaemon(true);
            helper.start();
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException again) {
                    interrupted = true;
                } catch (ExecutionException failed) {
                    Throwable cause = failed.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted || Thread.interrupted()) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
