package dev.holdfast.lock;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * What to lock and for how long: an immutable, validated request.
 *
 * <pre>{@code
 * LockRequest req = LockRequest.named("payout:" + sellerId)
 *         .leaseTime(Duration.ofSeconds(30))   // renewed automatically while the lease is open
 *         .waitTime(Duration.ofSeconds(5))     // zero = try once
 *         .build();
 * }</pre>
 *
 * @param name      the lock name: 1 to {@value #MAX_NAME_LENGTH} characters, not blank, no control
 *                  characters, no unpaired surrogates. Backends with shorter limits hash long names
 *                  deterministically; names always reach the backend as bound parameters or encoded
 *                  segments, never as code.
 * @param leaseTime how long the backend keeps the lock if the holder stops renewing it (crash, pause,
 *                  partition); positive, at most {@link #MAX_DURATION}. While the lease is open and
 *                  {@code autoRenew} is on, it is renewed at about a third of this time. A grant that
 *                  arrives with less than a quarter of it left is given back, never returned, so a lease
 *                  time shorter than a few backend round trips cannot be granted.
 * @param waitTime  how long {@code tryAcquire}/{@code acquire} wait for a busy lock; zero tries once
 * @param minHold   the lock stays taken at least this long after it was acquired, even if released
 *                  sooner (ShedLock's {@code lockAtLeastFor}, for jobs whose nodes' schedules drift);
 *                  zero or positive, at most {@code leaseTime}
 * @param autoRenew whether the provider renews the lease while it is open
 */
public record LockRequest(String name, Duration leaseTime, Duration waitTime, Duration minHold, boolean autoRenew) {

    /** Longest lock name accepted, in UTF-16 characters. */
    public static final int MAX_NAME_LENGTH = 1024;
    /** Longest lease, wait or minHold time accepted. */
    public static final Duration MAX_DURATION = Duration.ofDays(365);
    /** Lease time used when a builder does not set one. */
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(30);

    /**
     * Validates every field.
     *
     * @throws IllegalArgumentException naming the field when a value is out of range
     * @throws NullPointerException     naming the field when it is null
     */
    public LockRequest {
        validateName(name);
        requireNonNull(leaseTime, "leaseTime");
        requireNonNull(waitTime, "waitTime");
        requireNonNull(minHold, "minHold");
        if (leaseTime.isNegative() || leaseTime.isZero()) {
            throw new IllegalArgumentException("leaseTime must be positive, was " + leaseTime);
        }
        if (leaseTime.toMillis() < 1) {
            throw new IllegalArgumentException("leaseTime must be at least 1 ms, was " + leaseTime);
        }
        checkRange("leaseTime", leaseTime);
        checkRange("waitTime", waitTime);
        checkRange("minHold", minHold);
        if (minHold.compareTo(leaseTime) > 0) {
            throw new IllegalArgumentException(
                    "minHold (" + minHold + ") must not be longer than leaseTime (" + leaseTime + ")");
        }
    }

    /** A request for {@code name} with the defaults: 30 s lease, renewed; no wait; no minHold. */
    public static LockRequest of(String name) {
        return named(name).build();
    }

    /** Starts a builder for {@code name} (validated at once). */
    public static Builder named(String name) {
        return new Builder(name);
    }

    /** A builder that starts from this request's values. */
    public Builder toBuilder() {
        return new Builder(name).leaseTime(leaseTime).waitTime(waitTime).minHold(minHold).autoRenew(autoRenew);
    }

    /** Returns a copy of this request with another wait time. */
    public LockRequest withWaitTime(Duration waitTime) {
        return new LockRequest(name, leaseTime, waitTime, minHold, autoRenew);
    }

    /**
     * Checks a lock name without building a request.
     *
     * @throws IllegalArgumentException saying what is wrong with the name
     * @throws NullPointerException     if the name is null
     */
    public static String validateName(String name) {
        requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("lock name must not be empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("lock name must be at most " + MAX_NAME_LENGTH
                    + " characters, was " + name.length() + " (starting '" + name.substring(0, 32) + "')");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("lock name must not be blank");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c)) {
                throw new IllegalArgumentException(String.format(
                        "lock name must not contain control characters, found U+%04X at index %d", (int) c, i));
            }
            if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "lock name must be valid Unicode, found an unpaired surrogate U+%04X at index %d", (int) c, i));
            }
        }
        return name;
    }

    private static void checkRange(String field, Duration value) {
        if (value.isNegative()) {
            throw new IllegalArgumentException(field + " must not be negative, was " + value);
        }
        if (value.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException(field + " must be at most " + MAX_DURATION + ", was " + value);
        }
    }

    /**
     * Builds a {@link LockRequest}. Each setter checks its own value at once; {@link #build()} checks
     * values against each other.
     */
    public static final class Builder {
        private final String name;
        private Duration leaseTime = DEFAULT_LEASE_TIME;
        private Duration waitTime = Duration.ZERO;
        private Duration minHold = Duration.ZERO;
        private boolean autoRenew = true;

        private Builder(String name) {
            this.name = validateName(name);
        }

        /** How long the backend keeps the lock without renewal; positive. Default 30 s. */
        public Builder leaseTime(Duration leaseTime) {
            requireNonNull(leaseTime, "leaseTime");
            if (leaseTime.isNegative() || leaseTime.isZero()) {
                throw new IllegalArgumentException("leaseTime must be positive, was " + leaseTime);
            }
            checkRange("leaseTime", leaseTime);
            this.leaseTime = leaseTime;
            return this;
        }

        /** How long to wait for a busy lock; zero (the default) tries once. */
        public Builder waitTime(Duration waitTime) {
            requireNonNull(waitTime, "waitTime");
            checkRange("waitTime", waitTime);
            this.waitTime = waitTime;
            return this;
        }

        /** Keep the lock at least this long after acquiring it, even if released sooner. Default zero. */
        public Builder minHold(Duration minHold) {
            requireNonNull(minHold, "minHold");
            checkRange("minHold", minHold);
            this.minHold = minHold;
            return this;
        }

        /** Whether the provider renews the lease while it is open. Default {@code true}. */
        public Builder autoRenew(boolean autoRenew) {
            this.autoRenew = autoRenew;
            return this;
        }

        /** @throws IllegalArgumentException if minHold is longer than leaseTime */
        public LockRequest build() {
            return new LockRequest(name, leaseTime, waitTime, minHold, autoRenew);
        }
    }
}
