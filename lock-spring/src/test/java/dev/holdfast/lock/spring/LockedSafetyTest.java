package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * {@code @Locked} names that must not collapse, startup checks, joining only the same provider's lease,
 * and no body ever running under an unheld lease. Plain Spring contexts (no Boot) on in-memory providers.
 */
class LockedSafetyTest {

    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    /** A context with the post-processor, a template over {@code provider} and {@code beans}, refreshed. */
    private AnnotationConfigApplicationContext context(LockProvider provider, Duration defaultLease,
                                                       @org.jspecify.annotations.Nullable ClassLoader loader, Class<?>... beans) {
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        if (loader != null) {
            ctx.setClassLoader(loader);
        }
        RootBeanDefinition bpp = new RootBeanDefinition(LockedBeanPostProcessor.class);
        bpp.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
        ctx.registerBeanDefinition("lockedBeanPostProcessor", bpp);
        ctx.registerBean(LockTemplate.class, () -> new LockTemplate(provider, defaultLease, Duration.ofSeconds(2)));
        for (Class<?> bean : beans) {
            ctx.registerBean(bean);
        }
        toClose.add(ctx);
        ctx.refresh();
        return ctx;
    }

    private static String chain(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    // ------------------------------------------------------------------ names without -parameters

    /** Compiles {@code source} (class {@code gen.<simpleName>}) WITHOUT {@code -parameters} and loads it. */
    private static Class<?> compileWithoutParameterNames(Path dir, String simpleName, String source) throws Exception {
        Path src = dir.resolve("gen/" + simpleName + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        String classpath = String.join(java.io.File.pathSeparator,
                Path.of(Locked.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                Path.of(Lease.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter errors = new StringWriter();
        boolean ok = javac.getTask(errors, null, null, List.of("-d", dir.toString(), "-cp", classpath, "--release", "17"),
                null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(src.toFile())).call();
        assertThat(ok).as("compiling %s: %s", simpleName, errors).isTrue();
        URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, LockedSafetyTest.class.getClassLoader());
        Class<?> type = loader.loadClass("gen." + simpleName);
        assertThat(type.getMethods()).anySatisfy(m -> {
            assertThat(m.getName()).isEqualTo("pay");
            assertThat(m.getParameters()[0].isNamePresent()).as("compiled without -parameters").isFalse();
        });
        return type;
    }

    @Test
    void aTemplateUsingParameterNamesFailsAtStartupWhenTheClassHasNoParameterNames(@TempDir Path dir) throws Exception {
        Class<?> type = compileWithoutParameterNames(dir, "ByName", """
                package gen;
                import dev.holdfast.lock.spring.Locked;
                public class ByName {
                    @Locked(name = "pay:#{#sellerId}")
                    public String pay(String sellerId) {
                        return dev.holdfast.lock.spring.LockedContext.currentLease().orElseThrow().name();
                    }
                }
                """);
        Throwable t = catchThrowable(() -> context(InMemoryLockProvider.create(), Duration.ofSeconds(30), type.getClassLoader(), type));
        assertThat(t).as("startup must fail instead of locking 'pay:' for every seller").isNotNull();
        assertThat(chain(t)).contains("gen.ByName#pay(String)").contains("#sellerId").contains("-parameters");
    }

    @Test
    void positionalReferencesStillWorkWithoutParameterNames(@TempDir Path dir) throws Exception {
        Class<?> type = compileWithoutParameterNames(dir, "ByPosition", """
                package gen;
                import dev.holdfast.lock.spring.Locked;
                public class ByPosition {
                    @Locked(name = "pay:#{#p0}:#{#a1}")
                    public String pay(String sellerId, int batch) {
                        return dev.holdfast.lock.spring.LockedContext.currentLease().orElseThrow().name();
                    }
                }
                """);
        AnnotationConfigApplicationContext ctx = context(InMemoryLockProvider.create(), Duration.ofSeconds(30), type.getClassLoader(), type);
        Object bean = ctx.getBean(type);
        assertThat(type.getMethod("pay", String.class, int.class).invoke(bean, "s1", 7)).isEqualTo("pay:s1:7");
        assertThat(type.getMethod("pay", String.class, int.class).invoke(bean, "s2", 8)).isEqualTo("pay:s2:8");
    }

    // ------------------------------------------------------------------ null or empty parts

    public static class Payouts {
        static final AtomicInteger runs = new AtomicInteger(); // static: the bean is a class proxy

        @Locked(name = "pay:#{#sellerId}")
        public String pay(String sellerId) {
            runs.incrementAndGet();
            return LockedContext.currentLease().orElseThrow().name();
        }

        @Locked(name = "#{#region}:#{#sellerId}")
        public String payIn(String region, String sellerId) {
            runs.incrementAndGet();
            return LockedContext.currentLease().orElseThrow().name();
        }
    }

    @Test
    void aNameWhosePartEvaluatesToNullOrEmptyFailsTheCall() {
        Payouts payouts = context(InMemoryLockProvider.create(), Duration.ofSeconds(30), null, Payouts.class).getBean(Payouts.class);
        assertThat(payouts.pay("s1")).isEqualTo("pay:s1");
        assertThatThrownBy(() -> payouts.pay(null)).as("a null seller must not lock 'pay:'")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Payouts.class.getName() + "#pay(String)")
                .hasMessageContaining("#{#sellerId}").hasMessageContaining("null");
        assertThatThrownBy(() -> payouts.pay("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("#{#sellerId}").hasMessageContaining("empty");
        assertThatThrownBy(() -> payouts.payIn(null, "s1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("#{#region}").hasMessageContaining("null");
        assertThat(Payouts.runs).hasValue(1);
    }

    // ------------------------------------------------------------------ minHold against the default lease

    public static class LongMinHold {
        @Locked(name = "report", minHold = "1m")
        public void run() {
        }
    }

    @Test
    void aMinHoldLongerThanTheDefaultLeaseFailsAtStartup() {
        Throwable t = catchThrowable(() -> context(InMemoryLockProvider.create(), Duration.ofSeconds(30), null, LongMinHold.class));
        assertThat(t).as("startup must fail, not the first call").isNotNull();
        assertThat(chain(t)).contains(LongMinHold.class.getName() + "#run()").contains("minHold (PT1M)")
                .contains("leaseTime (PT30S");
    }

    // ------------------------------------------------------------------ joining only the same provider's lease

    @Test
    void aNestedCallJoinsAnOuterLeaseOnlyFromTheSameProvider() {
        InMemoryLockProvider a = InMemoryLockProvider.create();
        InMemoryLockProvider b = InMemoryLockProvider.create();
        toClose.add(a);
        toClose.add(b);
        LockTemplate onA = new LockTemplate(a, Duration.ofSeconds(30), Duration.ZERO);
        LockTemplate alsoOnA = new LockTemplate(a, Duration.ofSeconds(30), Duration.ZERO);
        LockTemplate onB = new LockTemplate(b, Duration.ofSeconds(30), Duration.ZERO);
        onA.execute("shared", outer -> {
            Lease joined = alsoOnA.execute("shared", inner -> inner);
            assertThat(joined).as("same provider: joins the outer lease").isSameAs(outer);
            Lease other = onB.execute("shared", inner -> {
                assertThat(b.inspect("shared")).as("taken on provider b").isPresent();
                return inner;
            });
            assertThat(other).as("another provider's lock must be taken on that provider").isNotSameAs(outer);
            return null;
        });
    }

    // ------------------------------------------------------------------ no body under an unheld lease

    /** Hands out leases that are already lost when they arrive (like a grant that waited out its lease). */
    static final class LostOnArrival implements LockProvider {
        private final InMemoryLockProvider delegate = InMemoryLockProvider.create();
        final List<Lease> granted = new CopyOnWriteArrayList<>();

        @Override
        public Optional<Lease> tryAcquire(LockRequest request) {
            return delegate.tryAcquire(request).map(l -> {
                Lease lost = new LostLease(l);
                granted.add(lost);
                return lost;
            });
        }

        @Override
        public Lease acquire(LockRequest request) {
            return tryAcquire(request).orElseThrow(() -> new LockNotAcquiredException(request.name(), request.waitTime()));
        }

        @Override
        public void close() {
            delegate.close();
        }

        boolean free(String name) {
            return delegate.inspect(name).isEmpty();
        }
    }

    static final class LostLease implements Lease {
        private final Lease lease;
        final AtomicBoolean released = new AtomicBoolean();

        LostLease(Lease lease) {
            this.lease = lease;
        }

        @Override public String name() { return lease.name(); }
        @Override public long token() { return lease.token(); }
        @Override public String ownerId() { return lease.ownerId(); }
        @Override public Instant acquiredAt() { return lease.acquiredAt(); }
        @Override public Duration leaseTime() { return lease.leaseTime(); }
        @Override public boolean isHeld() { return false; }
        @Override public void checkHeld() { throw new LockLostException(name(), token(), LossReason.EXPIRED, null); }
        @Override public void extend(Duration leaseTime) { checkHeld(); }
        @Override public void extend(Duration leaseTime, Duration minHold) { checkHeld(); }
        @Override public boolean release() {
            released.set(true);
            lease.release();
            return false;
        }
        @Override public void close() { release(); }
        @Override public void onLost(Consumer<? super LockLostException> listener) {
            listener.accept(new LockLostException(name(), token(), LossReason.EXPIRED, null));
        }
    }

    public static class Job {
        static final AtomicInteger runs = new AtomicInteger(); // static: the bean is a class proxy

        @Locked(name = "job")
        public void run() {
            runs.incrementAndGet();
        }
    }

    @Test
    void noBodyRunsUnderALeaseThatIsNotHeld() {
        LostOnArrival provider = new LostOnArrival();
        toClose.add(provider);
        LockTemplate template = new LockTemplate(provider, Duration.ofSeconds(30), Duration.ZERO);
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> template.execute("t1", lease -> ran.incrementAndGet())).isInstanceOf(LockLostException.class);
        assertThatThrownBy(() -> template.tryRun("t2", lease -> ran.incrementAndGet())).isInstanceOf(LockLostException.class);
        assertThat(ran).as("bodies run under an unheld lease").hasValue(0);
        assertThat(provider.granted).hasSize(2).allSatisfy(l -> assertThat(((LostLease) l).released).isTrue());
        assertThat(provider.free("t1")).isTrue();

        Job job = context(provider, Duration.ofSeconds(30), null, Job.class).getBean(Job.class);
        Throwable t = catchThrowable(job::run);
        if (t instanceof InvocationTargetException ite) {
            t = ite.getCause();
        }
        assertThat(t).isInstanceOf(LockLostException.class);
        assertThat(Job.runs).as("@Locked body run under an unheld lease").hasValue(0);
    }
}
