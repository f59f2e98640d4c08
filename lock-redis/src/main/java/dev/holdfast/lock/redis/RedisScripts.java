package dev.holdfast.lock.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisException;
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
        ABANDON("abandon.lua", RScript.Mode.READ_WRITE, RScript.ReturnType.LONG),
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

    /** Runs {@code s} with one key; waits for the reply even if the thread is interrupted. */
    <R> R runOnKey(Script s, String key, Object... args) {
        return awaitUninterruptibly(evalAsync(s, List.of(key), args));
    }

    /** Runs {@code s} with keys of one slot; waits for the reply even if the thread is interrupted. */
    <R> R runOnKeys(Script s, List<Object> keys, Object... args) {
        return awaitUninterruptibly(evalAsync(s, keys, args));
    }

    /**
     * Runs {@code s} with keys of one slot, waiting interruptibly. When interrupted the script may still
     * run on the server (it may already be sent, and Redisson may resend it): the caller must clean up.
     */
    <R> R runOnKeysInterruptibly(Script s, List<Object> keys, Object... args) throws InterruptedException {
        return await(evalAsync(s, keys, args));
    }

    /** Runs {@code s} with keys of one slot and does not wait (fire and forget, for best-effort cleanup). */
    <R> CompletableFuture<R> runOnKeysAsync(Script s, List<Object> keys, Object... args) {
        return evalAsync(s, keys, args);
    }

    /**
     * EVALSHA routed by the first key; after NOSCRIPT (a restarted or new server) EVAL with the source,
     * which also caches it.
     */
    private <R> CompletableFuture<R> evalAsync(Script s, List<Object> keys, Object[] args) {
        String routing = String.valueOf(keys.get(0));
        CompletableFuture<R> first = script.<R>evalShaAsync(routing, s.mode, s.sha, s.returnType, keys, args)
                .toCompletableFuture();
        return first.handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            if (isNoScript(error)) {
                return script.<R>evalAsync(routing, s.mode, s.source, s.returnType, keys, args).toCompletableFuture();
            }
            return CompletableFuture.<R>failedFuture(error);
        }).thenCompose(f -> f);
    }

    /**
     * Runs {@code s} and then {@code WAIT replicas timeout} in one pipelined round trip, returning the
     * result and how many replicas acknowledged it. Waits interruptibly when {@code interruptibly}.
     */
    <R> Acked<R> runAcked(Script s, List<Object> keys, int replicas, java.time.Duration timeout, boolean interruptibly,
                          Object... args) throws InterruptedException {
        CompletableFuture<Acked<R>> acked = this.<R>batch(s, s.sha, true, keys, replicas, timeout, args)
                .handle((value, error) -> {
                    if (error == null) {
                        return CompletableFuture.completedFuture(value);
                    }
                    if (isNoScript(error)) {
                        return this.<R>batch(s, s.source, false, keys, replicas, timeout, args);
                    }
                    return CompletableFuture.<Acked<R>>failedFuture(error);
                }).thenCompose(f -> f);
        return interruptibly ? await(acked) : awaitUninterruptibly(acked);
    }

    private <R> CompletableFuture<Acked<R>> batch(Script s, String shaOrSource, boolean sha, List<Object> keys,
                                                  int replicas, java.time.Duration timeout, Object... args) {
        RBatch batch = client.createBatch(BatchOptions.defaults().sync(replicas, timeout));
        String routing = String.valueOf(keys.get(0)); // the script goes to the node of its keys' slot
        if (sha) {
            batch.getScript(StringCodec.INSTANCE).evalShaAsync(routing, s.mode, shaOrSource, s.returnType, keys, args);
        } else {
            batch.getScript(StringCodec.INSTANCE).evalAsync(routing, s.mode, shaOrSource, s.returnType, keys, args);
        }
        return batch.executeAsync().toCompletableFuture().thenApply(result -> {
            @SuppressWarnings("unchecked")
            R value = (R) result.getResponses().get(0);
            return new Acked<>(value, result.getSyncedSlaves());
        });
    }

    /** Waits for {@code f}; an interrupt throws at once (the command may still run on the server). */
    private static <R> R await(CompletableFuture<R> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            throw unwrap(e.getCause());
        }
    }

    /**
     * Waits for {@code f} without giving up when interrupted (Redisson's own timeout bounds the wait), and
     * keeps the interrupt flag: releases, renewals and cleanups must reach the server from any thread.
     */
    private static <R> R awaitUninterruptibly(CompletableFuture<R> f) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw unwrap(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static RuntimeException unwrap(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof RuntimeException re) {
            return re;
        }
        return new RedisException(String.valueOf(e.getMessage()), e);
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
