/**
 * The contract every {@link dev.holdfast.lock.LockProvider} keeps, as tests a backend's test extends:
 * {@link dev.holdfast.lock.testkit.LockProviderContract} (JUnit 5),
 * {@link dev.holdfast.lock.testkit.LockProviderProperties} (jqwik, random schedules against a model),
 * the {@link dev.holdfast.lock.testkit.History history checker} for concurrent and cross-process runs,
 * {@link dev.holdfast.lock.testkit.Faults fault hooks} and bounded waits ({@link dev.holdfast.lock.testkit.Await}).
 */
@NullMarked
package dev.holdfast.lock.testkit;

import org.jspecify.annotations.NullMarked;
