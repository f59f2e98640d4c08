package dev.holdfast.lock.zookeeper;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.drivers.TracerDriver;
import org.apache.curator.framework.CuratorFramework;

/**
 * Counts the ZooKeeper operations a Curator client sends, from Curator's own operation traces
 * ({@code CreateBuilderImpl-Foreground}, {@code GetChildrenBuilderImpl-Foreground}, ...): one trace per
 * request answered by the server.
 */
final class RoundTrips implements TracerDriver {

    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    static RoundTrips attach(CuratorFramework client) {
        RoundTrips r = new RoundTrips();
        client.getZookeeperClient().setTracerDriver(r);
        return r;
    }

    @Override
    public void addTrace(String name, long time, TimeUnit unit) {
        if (name.endsWith("-Foreground") || name.endsWith("-Background")) {
            counts.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    @Override
    public void addCount(String name, int increment) {
    }

    /** Operations so far. */
    int total() {
        return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** Operations so far, by kind. */
    Map<String, Integer> byKind() {
        Map<String, Integer> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k.replace("BuilderImpl", ""), v.get()));
        return out;
    }

    void reset() {
        counts.clear();
    }
}
