package dev.holdfast.lock.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.redisson.api.BatchOptions;
import org.redisson.api.BatchResult;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisNoScriptException;
import org.redisson.client.codec.StringCodec;

/**
 * The Lua scripts (resource files next to this class) and how they are run: EVALSHA, one round trip,
 * routed explicitly by the lock's key (so in a Cluster it reaches the node owning the name's slot);
 * after NOSCRIPT (a restarted or new server) the script is sent in full (EVAL, which also caches it).
 */
final class RedisScripts {

    enum Script {
        ACQUIRE("acquire.lua", RScript.Mode.READ_WRITE, RScript.ReturnType.LONG),
        RELEASE("release.lua", RScript.Mode.READ_WRITE, RScript.ReturnType.LONG),
        EXTEND("extend.lua", RScript.Mode.READ_WRITE, RScript.ReturnType.LONG),
        INSPECT("inspect.lua", RScript.Mode.READ_ONLY, RScript.ReturnType.LIST);

        final String source;
        final String sha;
        final RScript.Mode mode;
        final RScript.ReturnType returnType;

        Script(String file, RScript.Mode mode, RScript.ReturnType returnType) {
            this.source = load(file);
            this.sha = sha1(source);
            this.mode = mode;
            this.returnType = returnType;
        }
    }

    /** A result together with how many replicas acknowledged the write (when acks were requested). */
    record Acked<R>(R result, int replicas) {
    }

    private final RedissonClient client;
    private final RScript script;

    RedisScripts(RedissonClient client) {
        this.client = client;
        this.script = client.getScript(StringCodec.INSTANCE);
    }

    /** Runs {@code s} with one key. */
    <R> R runOnKey(Script s, String key, Object... args) {
        List<Object> keys = List.of(key);
        try {
            return script.evalSha(key, s.mode, s.sha, s.returnType, keys, args);
        } catch (RedisNoScriptException e) {
            return script.eval(key, s.mode, s.source, s.returnType, keys, args);
        }
    }

    /** Runs {@code s} with two keys of one slot. */
    <R> R runOnKeys(Script s, String key1, String key2, Object... args) {
        List<Object> keys = List.of(key1, key2);
        try {
            return script.evalSha(key1, s.mode, s.sha, s.returnType, keys, args);
        } catch (RedisNoScriptException e) {
            return script.eval(key1, s.mode, s.source, s.returnType, keys, args);
        }
    }

    /**
     * Runs {@code s} and then {@code WAIT replicas timeout} in one pipelined round trip, returning the
     * result and how many replicas acknowledged it.
     */
    <R> Acked<R> runAcked(Script s, List<Object> keys, int replicas, java.time.Duration timeout, Object... args) {
        try {
            return batch(s, s.sha, true, keys, replicas, timeout, args);
        } catch (RuntimeException e) {
            if (!isNoScript(e)) {
                throw e;
            }
            return batch(s, s.source, false, keys, replicas, timeout, args);
        }
    }

    private <R> Acked<R> batch(Script s, String shaOrSource, boolean sha, List<Object> keys, int replicas,
                               java.time.Duration timeout, Object... args) {
        RBatch batch = client.createBatch(BatchOptions.defaults().sync(replicas, timeout));
        String routing = String.valueOf(keys.get(0)); // the script goes to the node of its keys' slot
        if (sha) {
            batch.getScript(StringCodec.INSTANCE).evalShaAsync(routing, s.mode, shaOrSource, s.returnType, keys, args);
        } else {
            batch.getScript(StringCodec.INSTANCE).evalAsync(routing, s.mode, shaOrSource, s.returnType, keys, args);
        }
        BatchResult<?> result = batch.execute();
        @SuppressWarnings("unchecked")
        R value = (R) result.getResponses().get(0);
        return new Acked<>(value, result.getSyncedSlaves());
    }

    private static boolean isNoScript(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisNoScriptException
                    || t.getMessage() != null && t.getMessage().contains("NOSCRIPT")) {
                return true;
            }
        }
        return false;
    }

    private static String load(String file) {
        try (InputStream in = RedisScripts.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException("missing script resource " + file);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read script " + file, e);
        }
    }

    private static String sha1(String source) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every JVM", e);
        }
    }
}
