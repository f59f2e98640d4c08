package dev.holdfast.lock.reliability;

/**
 * Runs harness tests without Maven, for long runs from a fixed classpath:
 * {@code java -Dharness.seconds=300 -cp <test classpath> dev.holdfast.lock.reliability.HarnessMain redis advisory ...}
 * (backends: {@code table-lease advisory get-lock redis zookeeper}). Each prints its table; a violation
 * ends the run with an AssertionError.
 */
public final class HarnessMain {

    private HarnessMain() {
    }

    public static void main(String[] args) throws Exception {
        for (String backend : args) {
            switch (backend) {
                case "table-lease" -> new TableLeaseHarnessTest().tableLeaseKeepsExclusionAndFencingUnderProcessAndNetworkFaults();
                case "advisory" -> new AdvisoryHarnessTest().advisoryLocksKeepFencingUnderProcessAndNetworkFaults();
                case "get-lock" -> new GetLockHarnessTest().getLockKeepsFencingUnderProcessAndNetworkFaults();
                case "redis" -> new RedisHarnessTest().redisKeepsFencingUnderProcessNetworkAndRestartFaults();
                case "zookeeper" -> new ZookeeperHarnessTest().zookeeperKeepsExclusionAndFencingUnderProcessNetworkAndServerFaults();
                default -> throw new IllegalArgumentException("unknown backend " + backend
                        + " (table-lease, advisory, get-lock, redis, zookeeper)");
            }
        }
        System.exit(0);
    }
}
