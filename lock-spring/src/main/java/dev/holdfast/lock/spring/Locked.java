package dev.holdfast.lock.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated bean method only while holding the named lock: acquire, run, release (keeping the
 * lock until {@code acquiredAt + minHold} if that is later). Works on {@code @Scheduled} jobs (one node
 * runs each tick) and on ordinary service methods (one caller at a time per name, across processes).
 *
 * <pre>{@code
 * @Scheduled(cron = "0 * * * * *")
 * @Locked(name = "nightly-report", leaseTime = "5m", minHold = "30s")      // busy: skip this tick
 * void report() { ... }
 *
 * @Locked(name = "payout:#{#seller.id}", onBusy = Locked.OnBusy.WAIT, waitTime = "10s")
 * Receipt pay(Seller seller) {
 *     long fence = LockedContext.currentLease().orElseThrow().token();   // pass with the write
 *     ...
 * }
 * }</pre>
 *
 * <h2>Names</h2>
 * {@link #name()} is a template: literal text with SpEL expressions in {@code #{...}} evaluated against
 * the call: {@code #paramName} (needs {@code -parameters}, which Spring Boot's build plugins set),
 * {@code #p0}/{@code #a0} by position, {@code @beanName} for beans. Templates are parsed when the bean is
 * created, and a template that does not parse, names a parameter the method does not have, or uses a
 * parameter name in a class compiled without {@code -parameters} (where {@code #name} would be null at
 * every call) fails the application context with the class and method in the message; {@code #p0} works
 * either way. A call where any {@code #{...}} part evaluates to null or an empty string fails with an
 * {@link IllegalArgumentException} naming the part, instead of locking a shorter name shared by other
 * calls ({@code "pay:"} for every seller). {@code ${...}} placeholders are resolved first, in every
 * attribute.
 *
 * <h2>Times</h2>
 * Durations are strings in Spring's styles: {@code "30s"}, {@code "500ms"}, {@code "5m"}, {@code "PT5M"}.
 * An empty string takes the configured default ({@code holdfast.lock.lease-time}, {@code
 * holdfast.lock.wait-time}); minHold defaults to zero. A minHold longer than the lease time (the method's
 * own or the configured default) fails the application context at startup.
 *
 * <h2>Busy</h2>
 * See {@link OnBusy}. The lease is renewed automatically while the method runs; if it is lost meanwhile
 * the method is not interrupted: long work should call {@code LockedContext.currentLease()} ... {@code
 * checkHeld()} between steps, and writes should carry the fencing token.
 *
 * <h2>Proxies</h2>
 * Calls reach the lock through a class proxy, as with {@code @Transactional}: a call from the same bean
 * ({@code this.job()}) is not locked, and {@code @Locked} on a private, static or final method fails the
 * application context at startup instead of being silently ignored. On a {@code @Transactional} method
 * the lock is taken before the transaction begins and released after it ends.
 *
 * <h2>Nesting and threads</h2>
 * A call made while the same thread already holds the same lock name through an outer {@code @Locked}
 * (or {@link LockTemplate}) of the same provider joins that lease instead of waiting for itself; the same
 * name on another provider is another lock and is taken there. The method never runs under a lease that is
 * no longer held when it arrives: the lease is released and its {@link dev.holdfast.lock.LockLostException}
 * is thrown to the caller. The lease belongs to the
 * calling thread for the call's duration: methods returning {@code CompletableFuture} or reactive types
 * are not covered past their return.
 *
 * <p>The annotation has no Spring types; the behaviour comes from {@link LockedBeanPostProcessor}, which
 * Spring Boot registers automatically.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface Locked {

    /** The lock name template, for example {@code "payout:#{#seller.id}"}. */
    String name();

    /** How long the backend keeps the lock without renewal; empty = {@code holdfast.lock.lease-time}. */
    String leaseTime() default "";

    /**
     * How long to wait for a busy lock. Empty = no wait for {@link OnBusy#SKIP} and {@link OnBusy#FAIL},
     * and {@code holdfast.lock.wait-time} for {@link OnBusy#WAIT}.
     */
    String waitTime() default "";

    /** Keep the lock at least this long after acquiring it (for jobs whose nodes' clocks drift); default 0. */
    String minHold() default "";

    /** What to do when the lock stays busy for the whole wait. Default {@link OnBusy#SKIP}. */
    OnBusy onBusy() default OnBusy.SKIP;

    /** What a {@link Locked} method does when another holder keeps the lock for the whole wait. */
    enum OnBusy {
        /**
         * Do not run; return an empty value of the declared return type: {@code null} for objects and
         * {@code void}, {@code Optional.empty()} (and the primitive optionals), empty {@code List}, {@code
         * Set}, {@code Map}, {@code Collection}, {@code Stream}, {@code 0}/{@code false} for primitives.
         */
        SKIP,
        /** Do not run; throw {@link dev.holdfast.lock.LockNotAcquiredException}. */
        FAIL,
        /**
         * Wait up to the wait time ({@code holdfast.lock.wait-time}, default 10 s, unless {@link #waitTime()} is set),
         * then throw {@link dev.holdfast.lock.LockNotAcquiredException}.
         */
        WAIT
    }
}
