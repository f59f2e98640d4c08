package dev.holdfast.examples;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The demo: runs every story twice, unguarded and guarded, on several replica processes with several
 * threads each, and prints what each run left behind. Exits non-zero if a guarded run did something twice
 * or left something undone.
 *
 * <pre>
 * java -jar examples/target/holdfast-demo.jar                      # embedded PostgreSQL, nothing to install
 * java -jar examples/target/holdfast-demo.jar --backend mariadb    # jdbc:mariadb://127.0.0.1:3306/test
 * java -jar examples/target/holdfast-demo.jar --backend redis --redis redis://127.0.0.1:6379
 * java -jar examples/target/holdfast-demo.jar --backend zookeeper  # in-process ZooKeeper unless --zookeeper host:port
 * </pre>
 */
public final class Demo {

    private static final String USAGE = """
            Holdfast demo: the "it ran twice" stories, unguarded and then guarded.

              --backend postgres|mariadb|redis|zookeeper   where the locks come from (default postgres)
              --jdbc-url URL        the SQL database for data (and locks with postgres/mariadb);
                                    default: an embedded PostgreSQL, or jdbc:mariadb://127.0.0.1:3306/test
                                    with --backend mariadb
              --jdbc-user U --jdbc-password P
              --redis redis://host:port       (--backend redis; default redis://127.0.0.1:6379)
              --zookeeper host:port           (--backend zookeeper; default: an in-process ZooKeeper)
              --replicas N   worker processes (default 3)     --threads N   threads each (default 4)
              --size N       items per story (default 120)    --stories a,b   only these (%s)
            """;

    private Demo() {
    }

    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    /** Runs the demo, printing to {@code out}; returns the exit status. */
    public static int run(PrintStream out, String... args) {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            out.printf(USAGE, ids());
            return 2;
        }
        if (settings.values.containsKey("help")) {
            out.printf(USAGE, ids());
            return 0;
        }
        String runId = UUID.randomUUID().toString().substring(0, 8);
        List<Story> stories = Stories.all();
        if (settings.values.containsKey("stories")) {
            List<String> wanted = Arrays.asList(settings.get("stories").split(","));
            stories = wanted.stream().map(Stories::byId).toList();
        }
        try (Infrastructure infra = Infrastructure.start(settings, runId, out)) {
            return new Runner(out, infra.settings, runId).runAll(stories, infra.data);
        } catch (Exception e) {
            out.println("demo failed: " + e);
            e.printStackTrace(out);
            return 1;
        }
    }

    private static String ids() {
        return String.join(", ", Stories.all().stream().map(Story::id).toList());
    }

    /** Starts the replicas, runs the stories, prints the table. */
    private static final class Runner {
        private final PrintStream out;
        private final Settings settings;
        private final String runId;

        Runner(PrintStream out, Settings settings, String runId) {
            this.out = out;
            this.settings = settings;
            this.runId = runId;
        }

        int runAll(List<Story> stories, HikariDataSource data) throws Exception {
            int replicas = settings.number("replicas");
            int size = settings.number("size");
            out.printf("%d stories, each run unguarded, then guarded, by %d replica processes x %d threads%n%n",
                    stories.size(), replicas, settings.number("threads"));
            List<String[]> rows = new ArrayList<>();
            boolean allClean = true;
            try (Replicas fleet = Replicas.launch(settings, runId)) {
                int n = 0;
                for (Story story : stories) {
                    out.printf("[%d/%d] %s  (%s)%n", ++n, stories.size(), story.title(), story.scale(size));
                    Story.Tally broken = runOnce(fleet, story, data, size, false);
                    Story.Tally fixed = runOnce(fleet, story, data, size, true);
                    allClean &= fixed.clean();
                    rows.add(new String[] {story.title(), story.feature(), describe(broken), describe(fixed)});
                }
            }
            out.println();
            table(rows);
            out.println();
            out.println(allClean
                    ? "Every guarded run: nothing done twice, nothing lost."
                    : "FAILED: a guarded run did something twice or lost something (see above).");
            return allClean ? 0 : 1;
        }

        private Story.Tally runOnce(Replicas fleet, Story story, HikariDataSource data, int size, boolean guarded)
                throws Exception {
            String mode = guarded ? "guarded" : "unguarded";
            story.prepare(data, size);
            long start = System.nanoTime();
            fleet.run(story.id() + " " + mode, done ->
                    out.printf("      ... %s run: %d done so far%n", mode, done));
            Story.Tally tally = story.tally(data, size, settings.number("replicas") * settings.number("threads"));
            out.printf("      %-10s %-24s %5.1f s%s%n", mode + ":", describe(tally),
                    (System.nanoTime() - start) / 1e9, guarded ? "   with " + story.feature() : "");
            return tally;
        }

        private static String describe(Story.Tally t) {
            return t.duplicates() + " duplicate" + (t.duplicates() == 1 ? "" : "s") + ", " + t.lost() + " lost";
        }

        private void table(List<String[]> rows) {
            String[] head = {"story", "Holdfast feature (guarded run)", "unguarded", "guarded"};
            int[] w = new int[head.length];
            for (int i = 0; i < head.length; i++) {
                w[i] = head[i].length();
                for (String[] r : rows) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            String format = "%-" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %-" + w[3] + "s%n";
            out.printf(format, (Object[]) head);
            out.printf(format, "-".repeat(w[0]), "-".repeat(w[1]), "-".repeat(w[2]), "-".repeat(w[3]));
            for (String[] r : rows) {
                out.printf(format, (Object[]) r);
            }
        }
    }
}
