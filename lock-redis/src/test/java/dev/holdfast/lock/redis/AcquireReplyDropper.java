package dev.holdfast.lock.redis;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.redisson.client.NettyHook;

/**
 * Loses the reply to one acquire script on the way back to a Redisson client: a handler at the socket end
 * of each of the client's channels lets the next acquire command (EVALSHA of acquire.lua, or EVAL of its
 * source) reach the server, then, when the server's reply arrives, discards it and closes the connection.
 * The server has run the script; the client never learns its answer (a connection cut right after the
 * server executed the command). A {@code -NOSCRIPT} error (the EVALSHA found an empty script cache and ran
 * nothing) is never dropped: it goes through, and the reply of the EVAL that Redisson sends next, which
 * runs the script, is lost instead.
 */
final class AcquireReplyDropper implements NettyHook {

    private static final String SOURCE_MARKER = "Holdfast acquire";

    private final AtomicBoolean armed = new AtomicBoolean();
    private final AtomicInteger dropped = new AtomicInteger();
    private final List<String> droppedReplies = new CopyOnWriteArrayList<>();

    /** Loses the reply to the next acquire this client sends. */
    void arm() {
        armed.set(true);
    }

    /** How many replies were lost so far. */
    int dropped() {
        return dropped.get();
    }

    /** The first line of each reply lost so far (RESP: {@code :token}, {@code _} or {@code $-1} for nil, ...). */
    List<String> droppedReplies() {
        return List.copyOf(droppedReplies);
    }

    @Override
    public void afterBoostrapInitialization(Bootstrap bootstrap) {
    }

    @Override
    public void afterChannelInitialization(Channel channel) {
        channel.pipeline().addFirst("holdfast-acquire-reply-dropper", new ChannelDuplexHandler() {
            private boolean dropNextReply;

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
                if (armed.get() && msg instanceof ByteBuf buf && isAcquire(buf) && armed.compareAndSet(true, false)) {
                    dropNextReply = true;
                }
                super.write(ctx, msg, promise);
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
                if (dropNextReply) {
                    dropNextReply = false;
                    if (isNoScript(msg)) {
                        // the EVALSHA did not run the script (empty script cache): let the error through so
                        // Redisson sends the source (EVAL), and lose the reply of that command instead
                        armed.set(true);
                        super.channelRead(ctx, msg);
                        return;
                    }
                    droppedReplies.add(firstLine(msg));
                    ReferenceCountUtil.release(msg);
                    dropped.incrementAndGet();
                    ctx.close();
                    return;
                }
                super.channelRead(ctx, msg);
            }
        });
    }

    private static boolean isNoScript(Object msg) {
        return msg instanceof ByteBuf buf && firstLine(buf).startsWith("-NOSCRIPT");
    }

    private static String firstLine(Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            return String.valueOf(msg);
        }
        String text = buf.toString(buf.readerIndex(), Math.min(buf.readableBytes(), 200), StandardCharsets.US_ASCII);
        int eol = text.indexOf('\r');
        return eol < 0 ? text : text.substring(0, eol);
    }

    private static boolean isAcquire(ByteBuf buf) {
        String text = buf.toString(StandardCharsets.US_ASCII);
        return text.contains(RedisScripts.Script.ACQUIRE.sha) || text.contains(SOURCE_MARKER);
    }
}
