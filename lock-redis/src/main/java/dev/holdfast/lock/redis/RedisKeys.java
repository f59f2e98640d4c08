package dev.holdfast.lock.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * Maps lock names to Redis keys. The name is encoded into a hash tag, so a lock's key and its fence
 * counter always share one cluster slot whatever characters the name holds:
 * <ul>
 *   <li>{@code <prefix>{<enc>}} — the lock hash (owner, token, since) with the lease as its TTL;</li>
 *   <li>{@code <prefix>{<enc>}:fence} — the fencing counter (no TTL);</li>
 *   <li>{@code <prefix>{<enc>}:released} — the pub/sub channel a release is announced on;</li>
 *   <li>{@code <prefix>{<enc>}:gone} — the owner ids that released or abandoned the lock in the last
 *       minute (a sorted set by server time), so a resent copy of a release or acquire is recognised.</li>
 * </ul>
 * {@code enc} is the name's UTF-8 bytes with every byte outside {@code [A-Za-z0-9._:/-]} written as
 * {@code %XX} (so {@code payout:42} stays readable, and {@code {}}, {@code %}, spaces and non-ASCII are
 * escaped). That is injective: two names never share a key. When the encoded form would be longer than
 * {@value #MAX_PLAIN} characters it is replaced by {@code #} + the unpadded base64url SHA-256 of the
 * UTF-8 bytes; {@code #} never occurs in the plain form, so a hashed name cannot equal a plain one, and
 * two long names share keys only through a SHA-256 collision.
 */
final class RedisKeys {

    static final int MAX_PLAIN = 200;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** The lock's keys and channel. */
    Names of(String name) {
        String tag = prefix + "{" + encode(name) + "}";
        return new Names(tag, tag + ":fence", tag + ":released", tag + ":gone");
    }

    record Names(String lock, String fence, String channel, String gone) {
    }

    static String encode(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length + 8);
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
                    || c == '.' || c == '_' || c == ':' || c == '/' || c == '-') {
                sb.append((char) c);
            } else {
                sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
            }
            if (sb.length() > MAX_PLAIN) {
                return hashed(bytes);
            }
        }
        return sb.toString();
    }

    private static String hashed(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "#" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }

    @Override
    public String toString() {
        return "'" + prefix + "'";
    }

    /** Checks a key prefix: up to 100 printable characters, no braces (they would move the hash tag). */
    static String validatePrefix(String prefix) {
        if (prefix.length() > 100) {
            throw new IllegalArgumentException("keyPrefix must be at most 100 characters, was " + prefix.length());
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c == '{' || c == '}') {
                throw new IllegalArgumentException(
                        "keyPrefix must not contain '{' or '}' (the lock name's hash tag follows it), was '" + prefix + "'");
            }
            if (Character.isISOControl(c) || Character.isWhitespace(c)) {
                throw new IllegalArgumentException(String.format(
                        "keyPrefix must not contain whitespace or control characters, found U+%04X at index %d", (int) c, i));
            }
        }
        return prefix;
    }
}
