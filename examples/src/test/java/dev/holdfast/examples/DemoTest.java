package dev.holdfast.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs the demo as the README does (embedded PostgreSQL, separate replica JVMs), with small numbers. */
class DemoTest {

    private static final Pattern ROW = Pattern.compile(
            "^(.+?)\\s{2,}(.+?)\\s{2,}(\\d+) duplicates?, (\\d+) lost\\s{2,}(\\d+) duplicates?, (\\d+) lost\\s*$");

    @Test
    void everyStoryGoesWrongUnguardedAndRightGuarded() {
        // the replicas are started with the test's own classpath (surefire hides it behind a manifest jar)
        System.setProperty("holdfast.demo.classpath",
                System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = Demo.run(out, "--replicas", "2", "--threads", "3", "--size", "40");
        }
        String output = buffer.toString(StandardCharsets.UTF_8);
        System.out.println(output);

        assertThat(status).as("exit status; output:%n%s", output).isZero();
        List<Matcher> rows = output.lines().map(ROW::matcher).filter(Matcher::matches).toList();
        assertThat(rows).as("one table row per story; output:%n%s", output).hasSize(Stories.all().size());
        long unguardedProblems = 0;
        for (Matcher row : rows) {
            assertThat(row.group(5) + " duplicates, " + row.group(6) + " lost")
                    .as("guarded run of '%s'", row.group(1).trim())
                    .isEqualTo("0 duplicates, 0 lost");
            unguardedProblems += Long.parseLong(row.group(3)) + Long.parseLong(row.group(4));
        }
        assertThat(unguardedProblems).as("the unguarded runs show the stories' bugs; output:%n%s", output).isPositive();
        assertThat(output).contains("Every guarded run: nothing done twice, nothing lost.");
    }

    @Test
    void aWrongOptionIsAUsageError() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            status = Demo.run(out, "--backend", "oracle");
        }
        assertThat(status).isEqualTo(2);
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("--backend must be one of");
    }
}
