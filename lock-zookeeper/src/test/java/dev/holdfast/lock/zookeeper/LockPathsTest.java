package dev.holdfast.lock.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.LockRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.apache.curator.utils.PathUtils;
import org.junit.jupiter.api.Test;

class LockPathsTest {

    private static void assertSafe(String segment) {
        assertThat(segment).matches("[A-Za-z0-9_%-]+").doesNotContain("/").isNotIn(".", "..");
        assertThat(segment.length()).isLessThanOrEqualTo(3 + LockPaths.READABLE_PREFIX + 64 + 2).isLessThanOrEqualTo(202);
        PathUtils.validatePath("/base/" + segment); // ZooKeeper accepts it as one segment
    }

    @Test
    void encodesTrickyNamesAsOneSafeSegment() {
        List<String> names = List.of("a", "/", "//", ".", "..", "a/b", "a/../b", "%", "%2F", "n-x", "h-x", "-", "_",
                "unicode-ünï-錠-🔒", "space ", "zookeeper", "\uFFF0", "\uD83D\uDD12", "x".repeat(LockRequest.MAX_NAME_LENGTH),
                "錠".repeat(LockRequest.MAX_NAME_LENGTH));
        Set<String> segments = new HashSet<>();
        for (String name : names) {
            String segment = LockPaths.segment(name);
            assertSafe(segment);
            segments.add(segment);
        }
        assertThat(segments).hasSize(names.size());
    }

    @Test
    void keepsShortNamesReadableAndHashesLongOnes() {
        assertThat(LockPaths.segment("payout:42")).isEqualTo("n-payout%3A42");
        assertThat(LockPaths.segment("a/b")).isEqualTo("n-a%2Fb");
        assertThat(LockPaths.segment("a%2Fb")).isEqualTo("n-a%252Fb");
        assertThat(LockPaths.segment("..")).isEqualTo("n-%2E%2E");
        String longName = "job:" + "x".repeat(500);
        assertThat(LockPaths.segment(longName)).startsWith("h-job%3Axxx").matches("h-[A-Za-z0-9_%-]{1,64}-[0-9a-f]{64}");
        assertThat(LockPaths.segment(longName)).isNotEqualTo(LockPaths.segment(longName + "y"));
        // the readable prefix never ends inside an escape
        String escapes = "/".repeat(300);
        assertThat(LockPaths.segment(escapes)).matches("h-(%2F)+-[0-9a-f]{64}");
    }

    @Test
    void ordersQueueNodesBySequenceIgnoringTheProtectionPrefix() {
        List<String> queue = LockPaths.queue(List.of("_c_b-lease-0000000012", "_c_a-lease-0000000003", "other",
                "lease-0000000007", "_c_c-lease-00000000x1"));
        assertThat(queue).containsExactly("_c_a-lease-0000000003", "lease-0000000007", "_c_b-lease-0000000012");
    }

    @Property(tries = 2000)
    void distinctNamesNeverShareASegment(@ForAll @StringLength(min = 1, max = 80) String a,
                                         @ForAll @StringLength(min = 1, max = 80) String b) {
        Assume.that(valid(a) && valid(b)); // lock names are validated before they are encoded
        String sa = LockPaths.segment(a);
        String sb = LockPaths.segment(b);
        assertThat(sa.equals(sb)).isEqualTo(a.equals(b));
        assertThat(sa).matches("[A-Za-z0-9_%-]+");
    }

    private static boolean valid(String name) {
        try {
            LockRequest.validateName(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
