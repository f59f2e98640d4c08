/**
 * Side-by-side benchmarks of Holdfast against ShedLock, Spring Integration, Redisson and Curator, and against
 * each backend's floor, on the same servers in one run. Entry point: {@link dev.holdfast.benchmarks.BenchmarkRunner}
 * ({@code java -jar benchmarks/target/benchmarks.jar --quick}); see the module's README for the scenarios and
 * how to read the tables. Not a library: nothing here is public API.
 */
@NullMarked
package dev.holdfast.benchmarks;

import org.jspecify.annotations.NullMarked;
