package dev.holdfast.lock.redis;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.redisson.client.NettyHook;

/**
 * Loses the reply to one acquire script on the way back to a Redisson client: a handler at the socket end
 * of each of the client's channels lets the next acquire command (EVALSHA of acquire.lua, or EVAL of its
 * source) reach the server, then, when the server's reply arrives, discards it and closes the connection.
 * The server has run the script; the client never learns its answer (a connection cut right after the
 * server executed the command).
 */
final class AcquireReplyDropper implements NettyHook {

    private static final String SOURCE_MARKER = "Holdfast acquire";

    private final AtomicBoolean armed = new AtomicBoolean();
    private final AtomicInteger dropped = new AtomicInteger();

    /** Loses the reply to the next acquire this client sends. */
    void arm() {
        armed.set(true);
    }

    /** How many replies were lost so far. */
    int dropped() {
        return dropped.get();
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
                    ReferenceCountUtil.release(msg);
                    dropped.incrementAndGet();
                    ctx.close();
                    return;
                }
                super.channelRead(ctx, msg);
            }
        });
    }

    private static boolean isAcquire(ByteBuf buf) {
        String text = buf.toString(StandardCharsets.US_ASCII);
        return text.contains(RedisScripts.Script.ACQUIRE.sha) || text.contains(SOURCE_MARKER);
    }
}
