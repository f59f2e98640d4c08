package dev.holdfast.benchmarks;

import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Runs the scenarios and prints one Markdown table per scenario and backend. See the module's README.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar [--quick | --full | --smoke] [--scenarios=1,2,3,4]
 *      [--backends=postgresql,mariadb,redis,zookeeper]
 * </pre>
 */
public final class BenchmarkRunner {

    /** What a run printed, for the smoke test. */
    record Report(List<Markdown> tables, long holdfastFalseBusy, long holdfastDuplicates) {
    }

    private BenchmarkRunner() {
    }

    /** Runs the benchmark; exits 0 when done, 2 on bad arguments. */
    public static void main(String[] args) throws Exception {
        Mode mode = Mode.QUICK;
        Set<Integer> scenarios = Set.of(1, 2, 3, 4);
        Set<Kind.Backend> backends = EnumSet.allOf(Kind.Backend.class);
        for (String a : args) {
            if (a.equals("--quick")) {
                mode = Mode.QUICK;
            } else if (a.equals("--full")) {
                mode = Mode.FULL;
            } else if (a.equals("--smoke")) {
                mode = Mode.SMOKE;
            } else if (a.startsWith("--scenarios=")) {
                scenarios = Set.copyOf(Arrays.stream(a.substring(12).split(",")).map(Integer::valueOf).toList());
            } else if (a.startsWith("--backends=")) {
                backends = EnumSet.noneOf(Kind.Backend.class);
                for (String b : a.substring(11).split(",")) {
                    backends.add(Kind.Backend.valueOf(b.trim().toUpperCase(Locale.ROOT)));
                }
            } else {
                System.err.println("usage: java -jar benchmarks.jar [--quick|--full|--smoke] [--scenarios=1,2,3,4] "
                        + "[--backends=postgresql,mariadb,redis,zookeeper]");
                System.exit(2);
            }
        }
        run(mode, scenarios, backends, System.out);
        System.exit(0); // client libraries leave non-daemon threads behind
    }

    static Report run(Mode mode, Set<Integer> scenarios, Set<Kind.Backend> backends, PrintStream out) throws Exception {
        List<Markdown> tables = new ArrayList<>();
        long falseBusy = 0;
        long duplicates = 0;
        Consumer<Markdown> print = t -> {
            tables.add(t);
            out.print(t);
            out.flush();
        };
        try (Resources r = new Resources()) {
            out.println("## Holdfast benchmarks (" + mode.name() + " mode), " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
            out.println();
            out.println(machine(r, backends));
            if (scenarios.contains(1)) {
                Uncontended u = new Uncontended(r, mode);
                try {
                    for (Kind.Backend b : backends) {
                        Uncontended.Result res = u.run(b, Catalog.of(b));
                        falseBusy += Uncontended.holdfastFalseBusy(res);
                        print.accept(Uncontended.table(res));
                    }
                } finally {
                    u.close();
                }
            }
            if (scenarios.contains(2)) {
                Handoff h = new Handoff(r, mode);
                for (Kind.Backend b : backends) {
                    print.accept(Handoff.table(h.run(b, Catalog.of(b))));
                }
            }
            if (scenarios.contains(3)) {
                HeldLeases held = new HeldLeases(r, mode);
                List<HeldLeases.Row> rows = new ArrayList<>();
                for (String id : HeldLeases.IDS) {
                    if (backends.contains(Catalog.get(id).kind().backend())) {
                        rows.add(held.run(id));
                    }
                }
                print.accept(HeldLeases.table(rows, mode));
            }
            if (scenarios.contains(4)) {
                ClaimQueueScenario claims = new ClaimQueueScenario(r, mode);
                for (Kind.Backend b : List.of(Kind.Backend.POSTGRESQL, Kind.Backend.MARIADB)) {
                    if (backends.contains(b)) {
                        Markdown t = claims.run(b);
                        duplicates += ClaimQueueScenario.holdfastDuplicates(t);
                        print.accept(t);
                    }
                }
            }
        }
        out.println();
        out.println("Holdfast false \"busy\" answers on free names: " + falseBusy);
        out.println("Holdfast claim queue duplicates: " + duplicates);
        return new Report(tables, falseBusy, duplicates);
    }

    /** The machine and the servers, for the tables' caption. */
    static String machine(Resources r, Set<Kind.Backend> backends) {
        Runtime rt = Runtime.getRuntime();
        StringBuilder sb = new StringBuilder();
        sb.append("Machine: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
                .append(' ').append(System.getProperty("os.arch")).append(", ").append(rt.availableProcessors())
                .append(" cores, JDK ").append(System.getProperty("java.version")).append(", max heap ")
                .append(rt.maxMemory() / (1024 * 1024)).append(" MiB; servers on 127.0.0.1 shared with other work.");
        List<String> servers = new ArrayList<>();
        if (backends.contains(Kind.Backend.POSTGRESQL)) {
            servers.add("PostgreSQL " + query(r.postgres(), "SHOW server_version"));
        }
        if (backends.contains(Kind.Backend.MARIADB)) {
            servers.add("MariaDB " + query(r.mariadb(), "SELECT VERSION()"));
        }
        if (backends.contains(Kind.Backend.REDIS)) {
            RedisFixture redis = RedisFixture.shared();
            try (RespClient c = RespClient.connect(redis.host(), redis.port())) {
                String info = String.valueOf(c.call("INFO", "server"));
                servers.add("Redis " + info.lines().filter(l -> l.startsWith("redis_version:")).findFirst()
                        .map(l -> l.substring(14).trim()).orElse("?"));
            }
        }
        if (backends.contains(Kind.Backend.ZOOKEEPER)) {
            servers.add("ZooKeeper " + org.apache.zookeeper.Version.getFullVersion().split("[ -]")[0] + " ("
                    + (r.zookeeper().isInProcess() ? "in-process TestingServer" : r.zookeeper().connectString()) + ")");
        }
        sb.append(" Servers: ").append(String.join(", ", servers)).append('.');
        return sb.toString();
    }

    private static String query(DataSource ds, String sql) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (Exception e) {
            return "?";
        }
    }
}
