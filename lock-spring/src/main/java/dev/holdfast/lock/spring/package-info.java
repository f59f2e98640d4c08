/**
 * Spring integration: {@link dev.holdfast.lock.spring.Locked} methods (SpEL lock names, skip/fail/wait when
 * busy, nested calls joining the outer lease), {@link dev.holdfast.lock.spring.LockTemplate} for code
 * without annotations, {@link dev.holdfast.lock.spring.LeaderElectionLifecycle} with leadership events, and
 * {@link dev.holdfast.lock.spring.MicrometerLockListener} meters. Spring Boot auto-configuration lives in
 * {@code dev.holdfast.lock.spring.autoconfigure}.
 */
@NullMarked
package dev.holdfast.lock.spring;

import org.jspecify.annotations.NullMarked;
