package dev.holdfast.lock.zookeeper;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CreateBuilder;
import org.apache.curator.framework.api.DeleteBuilder;
import org.apache.zookeeper.data.Stat;

/**
 * Curator clients that fail on demand the way a real network or an interrupt makes them fail, in front of a
 * real client of a real server (the server still does whatever reached it).
 */
final class FaultyClients {

    private FaultyClients() {
    }

    /**
     * A client whose next creates (as many as {@code losses} holds when each starts; the counter can be raised
     * later) reach the server but lose their reply, as Curator 5.9.0 then behaves: its own test switch on the
     * create builder throws a ConnectionLoss after the create was done, the retry (protected mode) finds the
     * node by its protection id and returns its path, and the caller's {@code storingStatIn} Stat is left
     * unfilled (in a real loss no reply, hence no Stat, ever arrives).
     */
    static CuratorFramework losingCreateReplies(CuratorFramework real, AtomicInteger losses) {
        return losingCreateReplies(real, losses, new CopyOnWriteArrayList<>());
    }

    /**
     * {@link #losingCreateReplies(CuratorFramework, AtomicInteger)} that also adds each create it arms to
     * {@code armed}, for {@link #repliesLost}.
     */
    static CuratorFramework losingCreateReplies(CuratorFramework real, AtomicInteger losses, List<Object> armed) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result = invoke(method, real, args);
            if (method.getName().equals("create") && method.getParameterCount() == 0
                    && losses.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                failNextCreate(result).setBoolean(result, true);
                armed.add(result);
                return losingTheStat((CreateBuilder) result);
            }
            return result;
        };
        return (CuratorFramework) Proxy.newProxyInstance(FaultyClients.class.getClassLoader(),
                new Class<?>[] {CuratorFramework.class}, handler);
    }

    /**
     * How many of the {@code armed} creates really lost their reply: Curator clears the test switch only in
     * its foreground create, right after the server created the node, where it throws the ConnectionLoss.
     */
    static int repliesLost(List<Object> armed) {
        int lost = 0;
        for (Object builder : armed) {
            try {
                if (!failNextCreate(builder).getBoolean(builder)) {
                    lost++;
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return lost;
    }

    private static Field failNextCreate(Object createBuilder) throws NoSuchFieldException {
        Field fail = createBuilder.getClass().getDeclaredField("failNextCreateForTesting");
        fail.setAccessible(true);
        return fail;
    }

    private static CreateBuilder losingTheStat(CreateBuilder real) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("storingStatIn")) {
                return invoke(method, real, new Object[] {new Stat()});
            }
            return invoke(method, real, args);
        };
        return (CreateBuilder) Proxy.newProxyInstance(FaultyClients.class.getClassLoader(),
                new Class<?>[] {CreateBuilder.class}, handler);
    }

    /**
     * A client whose next {@code interrupts} foreground deletes are hit by an interrupt before the request
     * leaves the client (as when Curator is still waiting for its connection): the calling thread is
     * interrupted and the delete throws {@link InterruptedException} without reaching the server. Background
     * deletes are not affected (no caller thread waits on them).
     */
    static CuratorFramework interruptingDeletes(CuratorFramework real, AtomicInteger interrupts) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result = invoke(method, real, args);
            if (method.getName().equals("delete") && method.getParameterCount() == 0) {
                return interruptingDelete((DeleteBuilder) result, interrupts);
            }
            return result;
        };
        return (CuratorFramework) Proxy.newProxyInstance(FaultyClients.class.getClassLoader(),
                new Class<?>[] {CuratorFramework.class}, handler);
    }

    /** Wraps the builder (whose steps return the builder itself), so the final foreground forPath can be hit. */
    private static DeleteBuilder interruptingDelete(DeleteBuilder builder, AtomicInteger interrupts) {
        InvocationHandler handler = new InvocationHandler() {
            private boolean background;

            @Override
            public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
                if (method.getName().equals("inBackground")) {
                    background = true;
                }
                if (method.getName().equals("forPath") && !background
                        && interrupts.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedException("interrupted before the delete of " + args[0] + " was sent");
                }
                Object result = FaultyClients.invoke(method, builder, args);
                return result == builder ? proxy : result;
            }
        };
        return (DeleteBuilder) Proxy.newProxyInstance(FaultyClients.class.getClassLoader(),
                publicInterfaces(builder.getClass()), handler);
    }

    /** Every public interface {@code type} implements (a step may return the builder as any of them). */
    private static Class<?>[] publicInterfaces(Class<?> type) {
        Set<Class<?>> all = new LinkedHashSet<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (Modifier.isPublic(i.getModifiers())) {
                    all.add(i);
                }
            }
        }
        return all.toArray(Class<?>[]::new);
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
