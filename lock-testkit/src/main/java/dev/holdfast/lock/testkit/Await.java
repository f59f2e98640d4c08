package dev.holdfast.lock.testkit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits for tests: poll a condition until it holds or a timeout passes, then fail with a message. */
public final class Await {

    private Await() {
    }

    /**
     * Waits until {@code condition} holds, checking every 5 ms.
     *
     * @return how long it took
     * @throws AssertionError with {@code what} if it does not hold within {@code timeout}
     */
    public static Duration until(Duration timeout, String what, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting until " + what);
            }
            sleep(Duration.ofMillis(5));
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** Waits until {@code supplier} returns a non-null value and returns it. */
    public static <T> T value(Duration timeout, String what, Supplier<T> supplier) {
        Object[] box = new Object[1];
        until(timeout, what, () -> (box[0] = supplier.get()) != null);
        @SuppressWarnings("unchecked")
        T value = (T) box[0];
        return value;
    }

    /** Sleeps, restoring the interrupt flag and failing if interrupted. */
    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis(), (int) (duration.toNanos() % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
