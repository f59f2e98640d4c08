package dev.holdfast.benchmarks;

/** What a contender is, for the tables: who made it and which floor it is measured against. */
record Kind(String id, String label, Backend backend, Floor floor, boolean holdfast, boolean isFloor) {

    /** The backends, one table each. */
    enum Backend {
        POSTGRESQL("PostgreSQL"), MARIADB("MariaDB"), REDIS("Redis"), ZOOKEEPER("ZooKeeper");

        final String title;

        Backend(String title) {
            this.title = title;
        }
    }

    /** The floor a contender is compared with: bare round trips, or row commits, or a node write. */
    enum Floor { ROUND_TRIPS, COMMITS, NODE }
}
