package dev.holdfast.lock.jdbc;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Deterministic keys for lock names where a backend has a short or numeric key space. A collision of two
 * names only makes them contend for one lock; it never lets two holders in.
 */
final class LockKeys {

    /** Names that GET_LOCK may see as they are: lowercase ASCII only, so no collation can merge two. */
    private static final Pattern PLAIN_GET_LOCK_NAME = Pattern.compile("[a-z0-9:_./-]{1,64}");

    private LockKeys() {
    }

    /** SHA-256 of {@code namespace}, a zero byte and {@code name} (UTF-8). */
    static byte[] sha256(String namespace, String name) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(namespace.getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            return digest.digest(name.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    /** The 64-bit advisory lock key: the first 8 bytes of {@link #sha256}, big-endian. */
    static long advisoryKey(String namespace, String name) {
        byte[] hash = sha256(namespace, name);
        long key = 0;
        for (int i = 0; i < 8; i++) {
            key = (key << 8) | (hash[i] & 0xFF);
        }
        return key;
    }

    /**
     * The GET_LOCK name (at most 64 characters): the name itself if it is short lowercase ASCII, else
     * {@code '#'} and 63 hex digits of its hash ({@code '#'} never appears in a plain key).
     */
    static String getLockKey(String name) {
        if (PLAIN_GET_LOCK_NAME.matcher(name).matches()) {
            return name;
        }
        return "#" + HexFormat.of().formatHex(sha256("", name)).substring(0, 63);
    }

    /**
     * The name as stored in a column of {@code maxLength} characters: the name itself if it fits, else
     * its first characters, {@code '#'} and the 64 hex digits of its hash.
     */
    static String columnKey(String name, int maxLength) {
        if (name.length() <= maxLength) {
            return name;
        }
        String hash = HexFormat.of().formatHex(sha256("", name));
        int keep = maxLength - hash.length() - 1;
        if (keep > 0 && Character.isHighSurrogate(name.charAt(keep - 1))) {
            keep--; // never split a surrogate pair
        }
        return name.substring(0, Math.max(0, keep)) + "#" + hash;
    }
}
