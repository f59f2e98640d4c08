package dev.holdfast.benchmarks;

import java.time.Duration;

/**
 * How long each scenario runs.
 *
 * @param rounds        interleaved rounds per contender (scenario 1); rates are the median over rounds
 * @param slice         one contender's turn in a round (scenario 1)
 * @param warmup        each contender's untimed turn before the first round
 * @param handoffRounds interleaved rounds of scenario 2
 * @param handoffSlice  one contender's turn in a scenario-2 round
 * @param workers       scenario-2 workers on the one name, each with its own client ("process")
 * @param leases        scenario 3: leases held at once
 * @param window        scenario 3: how long they are held and their traffic counted
 */
record Mode(String name, int rounds, Duration slice, Duration warmup, int handoffRounds, Duration handoffSlice,
            int workers, int leases, Duration window) {

    static final Mode SMOKE = new Mode("smoke", 1, Duration.ofMillis(150), Duration.ofMillis(50), 1, Duration.ofMillis(700),
            3, 200, Duration.ofSeconds(1));
    static final Mode QUICK = new Mode("quick", 3, Duration.ofMillis(700), Duration.ofMillis(300), 2, Duration.ofMillis(2500),
            8, 10_000, Duration.ofSeconds(15));
    static final Mode FULL = new Mode("full", 9, Duration.ofSeconds(2), Duration.ofSeconds(1), 5, Duration.ofSeconds(6),
            8, 10_000, Duration.ofSeconds(30));
}
