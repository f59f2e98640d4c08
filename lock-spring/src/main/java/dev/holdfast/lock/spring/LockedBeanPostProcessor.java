package dev.holdfast.lock.spring;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanInitializationException;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.core.BridgeMethodResolver;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringValueResolver;

/**
 * Makes {@link Locked} work: when a bean is created, checks and parses every {@code @Locked} method of its
 * class (a bad name template or duration fails the context with {@code Class#method} in the message) and
 * wraps the bean in a proxy that runs those methods under their lock, through the {@link LockTemplate}
 * bean. Spring Boot registers it automatically; elsewhere declare it as a {@code static @Bean}.
 *
 * <p>Once every singleton exists, the durations that depend on the application's defaults are checked
 * against the {@link LockTemplate} (a {@code minHold} longer than the default lease time fails the context
 * then, not at the first call).
 *
 * <p>The lock advice goes outside other advice on the same bean (a transaction starts after the lock is
 * taken and commits before it is released), and this processor runs before {@code @Scheduled} processing
 * so scheduled calls go through the proxy.
 */
public class LockedBeanPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor
        implements SmartInitializingSingleton {

    private static final long serialVersionUID = 1L;

    private final transient Map<Method, LockedMethod> methods = new ConcurrentHashMap<>();
    private transient @Nullable BeanFactory beanFactory;
    private transient @Nullable StringValueResolver placeholders;
    private transient volatile @Nullable LockTemplate template;

    public LockedBeanPostProcessor() {
        setBeforeExistingAdvisors(true);
        setProxyTargetClass(true);
        setOrder(Ordered.LOWEST_PRECEDENCE - 100);
        this.advisor = new DefaultPointcutAdvisor(new AnnotationMatchingPointcut(null, Locked.class, true),
                new Interceptor());
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        super.setBeanFactory(beanFactory);
        this.beanFactory = beanFactory;
        if (beanFactory instanceof ConfigurableBeanFactory cbf) {
            this.placeholders = cbf::resolveEmbeddedValue;
        }
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> type = AopUtils.getTargetClass(bean);
        if (!AnnotationUtils.isCandidateClass(type, Locked.class)) {
            return super.postProcessAfterInitialization(bean, beanName);
        }
        Map<Method, Locked> annotated = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<Locked>) m -> AnnotatedElementUtils.findMergedAnnotation(m, Locked.class));
        LockTemplate known = template;
        for (Map.Entry<Method, Locked> e : annotated.entrySet()) {
            try {
                LockedMethod m = LockedMethod.parse(e.getKey(), e.getValue(), placeholders);
                if (known != null) {
                    m.checkAgainstDefaults(known); // a bean created after startup (lazy, prototype)
                }
                methods.put(e.getKey(), m);
            } catch (IllegalArgumentException ex) {
                throw new BeanInitializationException("bean '" + beanName + "': " + ex.getMessage(), ex);
            }
        }
        return super.postProcessAfterInitialization(bean, beanName);
    }

    @Override
    public void afterSingletonsInstantiated() {
        if (methods.isEmpty() || !(beanFactory instanceof ListableBeanFactory lbf)) {
            return;
        }
        LockTemplate t = lbf.getBeanProvider(LockTemplate.class).getIfAvailable();
        if (t == null) {
            return; // reported at the first call, naming the missing bean
        }
        for (LockedMethod m : methods.values()) {
            try {
                m.checkAgainstDefaults(t);
            } catch (IllegalArgumentException ex) {
                throw new BeanInitializationException(ex.getMessage(), ex);
            }
        }
        template = t;
    }

    private LockTemplate template() {
        LockTemplate t = template;
        if (t == null) {
            if (beanFactory == null) {
                throw new IllegalStateException("LockedBeanPostProcessor is not attached to a bean factory");
            }
            t = beanFactory.getBean(LockTemplate.class);
            template = t;
        }
        return t;
    }

    private LockedMethod lockedMethod(MethodInvocation invocation, Class<?> targetClass) {
        Method specific = BridgeMethodResolver.findBridgedMethod(
                ClassUtils.getMostSpecificMethod(invocation.getMethod(), targetClass));
        LockedMethod m = methods.get(specific);
        if (m == null) {
            Locked ann = AnnotatedElementUtils.findMergedAnnotation(specific, Locked.class);
            if (ann == null) {
                ann = AnnotatedElementUtils.findMergedAnnotation(invocation.getMethod(), Locked.class);
            }
            if (ann == null) {
                throw new IllegalStateException("no @Locked on " + LockedMethod.describe(specific));
            }
            m = LockedMethod.parse(specific, ann, placeholders);
            methods.put(specific, m);
        }
        return m;
    }

    private final class Interceptor implements MethodInterceptor {
        @Override
        public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
            Object target = invocation.getThis();
            Class<?> targetClass = target != null ? AopUtils.getTargetClass(target) : invocation.getMethod().getDeclaringClass();
            LockedMethod m = lockedMethod(invocation, targetClass);
            LockTemplate t = template();
            var request = m.request(target != null ? target : m.method.getDeclaringClass(), invocation.getArguments(), beanFactory, t);
            var out = t.run(request, lease -> invocation.proceed());
            if (out != null) {
                return out.orElse(null);
            }
            if (m.onBusy == Locked.OnBusy.SKIP) {
                return m.emptyResult();
            }
            throw new dev.holdfast.lock.LockNotAcquiredException(request.name(), request.waitTime());
        }
    }
}
