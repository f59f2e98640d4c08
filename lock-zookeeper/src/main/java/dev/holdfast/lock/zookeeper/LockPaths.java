package dev.holdfast.lock.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * Lock names as ZooKeeper path segments, and the queue nodes inside a lock's folder.
 *
 * <p>A name becomes exactly one segment made only of {@code [A-Za-z0-9_%-]}:
 * <ul>
 *   <li>{@code "n-" + percent-encoding}: every UTF-8 byte outside {@code [A-Za-z0-9_-]} (including
 *       {@code %}, {@code /} and {@code .}) is written {@code %XX} in upper case. Percent-encoding of bytes
 *       is a prefix code and UTF-8 is injective, so two names never share a segment.</li>
 *   <li>when that is longer than {@value #MAX_PLAIN} characters: {@code "h-" + readable prefix + "-" +
 *       SHA-256 of the name in hex}. The {@code "h-"} prefix keeps these apart from every plain segment;
 *       two long names share one only if SHA-256 collides.</li>
 * </ul>
 * A segment never contains {@code /}, is never {@code .} or {@code ..} (it starts with a letter), and uses
 * no character ZooKeeper rejects.
 */
final class LockPaths {

    /** Longest plain segment; longer encodings are hashed. */
    static final int MAX_PLAIN = 200;
    /** How much of a long name's encoding is kept, readable, before its hash. */
    static final int READABLE_PREFIX = 64;
    /** The name part of every queue node (Curator's protection prefix and the sequence surround it). */
    static final String NODE_NAME = "lease-";
    private static final int SEQUENCE_DIGITS = 10;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private LockPaths() {
    }

    /** The path segment for a (validated) lock name. */
    static String segment(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder encoded = new StringBuilder(utf8.length + 8);
        for (byte b : utf8) {
            int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
                encoded.append((char) c);
            } else {
                encoded.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        if (encoded.length() <= MAX_PLAIN) {
            return "n-" + encoded;
        }
        int cut = READABLE_PREFIX;
        if (encoded.charAt(cut - 1) == '%') {
            cut -= 1;
        } else if (encoded.charAt(cut - 2) == '%') {
            cut -= 2;
        }
        return "h-" + encoded.substring(0, cut) + "-" + sha256(utf8);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /** Whether {@code child} is a queue node: {@code [protection prefix]lease-NNNNNNNNNN}. */
    static boolean isQueueNode(String child) {
        int n = child.length();
        if (n < NODE_NAME.length() + SEQUENCE_DIGITS
                || !child.startsWith(NODE_NAME, n - SEQUENCE_DIGITS - NODE_NAME.length())) {
            return false;
        }
        for (int i = n - SEQUENCE_DIGITS; i < n; i++) {
            char c = child.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** The sequence number ZooKeeper appended to a queue node. */
    static long sequence(String child) {
        return Long.parseLong(child.substring(child.length() - SEQUENCE_DIGITS));
    }

    /** The queue nodes among {@code children}, first (the holder) to last. */
    static List<String> queue(List<String> children) {
        List<String> queue = new ArrayList<>(children.size());
        for (String child : children) {
            if (isQueueNode(child)) {
                queue.add(child);
            }
        }
        queue.sort(Comparator.comparingLong(LockPaths::sequence));
        return queue;
    }
}
