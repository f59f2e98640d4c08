package dev.holdfast.lock.spi;

/**
 * A monotonic clock in nanoseconds (like {@link System#nanoTime()}): only differences mean anything.
 * Tests substitute a controllable one.
 */
@FunctionalInterface
public interface Ticker {

    /** The current reading in nanoseconds. */
    long nanoTime();

    /** The JVM's monotonic clock. */
    static Ticker system() {
        return System::nanoTime;
    }
}
