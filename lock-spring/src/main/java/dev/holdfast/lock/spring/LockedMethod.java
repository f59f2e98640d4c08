package dev.holdfast.lock.spring;

import dev.holdfast.lock.LockRequest;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.common.CompositeStringExpression;
import org.springframework.expression.common.LiteralExpression;
import org.springframework.expression.common.TemplateParserContext;
import org.springframework.expression.spel.SpelNode;
import org.springframework.expression.spel.ast.VariableReference;
import org.springframework.expression.spel.standard.SpelExpression;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.StringValueResolver;

/**
 * One {@link Locked} method, checked and parsed once when its bean is created: the name template, the
 * durations and the busy policy. Every problem is reported with {@code Class#method(..)} in the message.
 */
final class LockedMethod {

    private static final SpelExpressionParser PARSER = new SpelExpressionParser();
    private static final TemplateParserContext TEMPLATE = new TemplateParserContext("#{", "}");
    private static final ParameterNameDiscoverer PARAMETER_NAMES = new DefaultParameterNameDiscoverer();

    final Method method;
    final String where;
    private final Expression name;
    private final @Nullable Duration leaseTime;
    private final @Nullable Duration waitTime;
    private final Duration minHold;
    final Locked.OnBusy onBusy;

    private LockedMethod(Method method, String where, Expression name, @Nullable Duration leaseTime,
                         @Nullable Duration waitTime, Duration minHold, Locked.OnBusy onBusy) {
        this.method = method;
        this.where = where;
        this.name = name;
        this.leaseTime = leaseTime;
        this.waitTime = waitTime;
        this.minHold = minHold;
        this.onBusy = onBusy;
    }

    /** {@code Class#method(ParamType, ...)} for messages. */
    static String describe(Method m) {
        return m.getDeclaringClass().getName() + "#" + m.getName() + "("
                + Stream.of(m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ")) + ")";
    }

    /**
     * Parses and checks the annotation of {@code method}.
     *
     * @throws IllegalArgumentException naming the method and the attribute when something is wrong
     */
    static LockedMethod parse(Method method, Locked ann, @Nullable StringValueResolver placeholders) {
        String where = describe(method);
        int mods = method.getModifiers();
        if (Modifier.isPrivate(mods) || Modifier.isStatic(mods) || Modifier.isFinal(mods)) {
            throw new IllegalArgumentException("@Locked on " + where + ": the method must not be private, static or"
                    + " final, or the lock would silently not be taken (calls reach it only through a proxy)");
        }
        String template = resolve(placeholders, ann.name());
        Expression name;
        try {
            name = PARSER.parseExpression(template, TEMPLATE);
        } catch (ParseException | IllegalStateException e) {
            throw new IllegalArgumentException("@Locked on " + where + ": lock name template '" + template
                    + "' does not parse: " + e.getMessage(), e);
        }
        if (name instanceof LiteralExpression) {
            try {
                LockRequest.validateName(template);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("@Locked on " + where + ": " + e.getMessage(), e);
            }
        }
        checkVariables(method, where, template, name);
        Duration lease = duration(where, "leaseTime", resolve(placeholders, ann.leaseTime()));
        Duration wait = duration(where, "waitTime", resolve(placeholders, ann.waitTime()));
        Duration minHold = duration(where, "minHold", resolve(placeholders, ann.minHold()));
        if (lease != null && lease.isZero()) {
            throw new IllegalArgumentException("@Locked on " + where + ": leaseTime must be positive, was " + lease);
        }
        if (lease != null && minHold != null && minHold.compareTo(lease) > 0) {
            throw new IllegalArgumentException("@Locked on " + where + ": minHold (" + minHold
                    + ") must not be longer than leaseTime (" + lease + ")");
        }
        return new LockedMethod(method, where, name, lease, wait, minHold == null ? Duration.ZERO : minHold, ann.onBusy());
    }

    private static String resolve(@Nullable StringValueResolver placeholders, String value) {
        if (placeholders == null || !value.contains("${")) {
            return value;
        }
        String resolved = placeholders.resolveStringValue(value);
        return resolved == null ? value : resolved;
    }

    private static @Nullable Duration duration(String where, String attribute, String value) {
        if (value.isBlank()) {
            return null;
        }
        Duration d;
        try {
            d = parseDuration(value.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("@Locked on " + where + ": " + attribute + " '" + value
                    + "' is not a duration (use \"30s\", \"500ms\", \"5m\" or \"PT5M\")", e);
        }
        if (d.isNegative()) {
            throw new IllegalArgumentException("@Locked on " + where + ": " + attribute + " must not be negative, was '"
                    + value + "'");
        }
        if (d.compareTo(LockRequest.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("@Locked on " + where + ": " + attribute + " must be at most "
                    + LockRequest.MAX_DURATION + ", was '" + value + "'");
        }
        return d;
    }

    private static final Pattern SIMPLE = Pattern.compile("^([+-]?\\d+)(ns|us|ms|s|m|h|d)?$", Pattern.CASE_INSENSITIVE);

    /**
     * Spring Boot's duration styles: simple ({@code "30s"}, {@code "500ms"}, {@code "5m"}; no unit = ms) and
     * ISO-8601 ({@code "PT5M"}). Parsed here rather than with Spring 6.2's {@code DurationFormatterUtils} so
     * older Spring versions work too.
     */
    static Duration parseDuration(String value) {
        Matcher m = SIMPLE.matcher(value);
        if (m.matches()) {
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "ms" : m.group(2).toLowerCase(java.util.Locale.ROOT);
            return switch (unit) {
                case "ns" -> Duration.ofNanos(amount);
                case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1000L));
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        return Duration.parse(value);
    }

    /** Fails on {@code #x} where the method has no parameter {@code x} (the usual typo). */
    private static void checkVariables(Method method, String where, String template, Expression name) {
        List<SpelExpression> parts = new ArrayList<>();
        if (name instanceof SpelExpression s) {
            parts.add(s);
        } else if (name instanceof CompositeStringExpression c) {
            for (Expression e : c.getExpressions()) {
                if (e instanceof SpelExpression s) {
                    parts.add(s);
                }
            }
        }
        if (parts.isEmpty()) {
            return;
        }
        Set<String> known = new HashSet<>(Set.of("root", "this"));
        Parameter[] params = method.getParameters();
        for (int i = 0; i < params.length; i++) {
            known.add("p" + i);
            known.add("a" + i);
        }
        String[] names = PARAMETER_NAMES.getParameterNames(method);
        if (names == null) {
            // compiled without -parameters: #name would evaluate to null at every call and the lock name
            // would collapse (every seller on "pay:"), so only positional references are allowed
            for (SpelExpression part : parts) {
                List<String> unknown = new ArrayList<>();
                collectVariables(part.getAST(), known, unknown);
                if (!unknown.isEmpty()) {
                    throw new IllegalArgumentException("@Locked on " + where + ": lock name template '" + template
                            + "' refers to " + String.join(", ", unknown) + " but parameter names are not available"
                            + " (the class was compiled without -parameters); compile with -parameters (Spring Boot's"
                            + " build plugins set it) or refer to parameters by position: #p0/#a0 for the first");
                }
            }
            return;
        }
        known.addAll(List.of(names));
        for (SpelExpression part : parts) {
            List<String> unknown = new ArrayList<>();
            collectVariables(part.getAST(), known, unknown);
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("@Locked on " + where + ": lock name template '" + template
                        + "' refers to " + String.join(", ", unknown) + " but the method's parameters are "
                        + (names.length == 0 ? "none" : "#" + String.join(", #", names)));
            }
        }
    }

    private static void collectVariables(SpelNode node, Set<String> known, List<String> unknown) {
        if (node instanceof VariableReference) {
            String ref = node.toStringAST();
            if (!known.contains(ref.substring(1))) {
                unknown.add(ref);
            }
        }
        for (int i = 0; i < node.getChildCount(); i++) {
            collectVariables(node.getChild(i), known, unknown);
        }
    }

    /**
     * The request for one call.
     *
     * @throws IllegalArgumentException naming the method if the name evaluates to nothing or is invalid
     */
    LockRequest request(Object target, @Nullable Object[] args, @Nullable BeanFactory beanFactory, LockTemplate defaults) {
        MethodBasedEvaluationContext ctx = new MethodBasedEvaluationContext(target, method, args, PARAMETER_NAMES);
        if (beanFactory != null) {
            ctx.setBeanResolver(new BeanFactoryResolver(beanFactory));
        }
        String lockName;
        if (name instanceof CompositeStringExpression composite) {
            StringBuilder b = new StringBuilder();
            for (Expression part : composite.getExpressions()) {
                b.append(evaluate(part, ctx));
            }
            lockName = b.toString();
        } else {
            lockName = evaluate(name, ctx);
        }
        Duration wait = waitTime != null ? waitTime : onBusy == Locked.OnBusy.WAIT ? defaults.defaultWaitTime() : Duration.ZERO;
        try {
            return LockRequest.named(lockName)
                    .leaseTime(leaseTime != null ? leaseTime : defaults.defaultLeaseTime())
                    .waitTime(wait)
                    .minHold(minHold)
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("@Locked on " + where + ": " + e.getMessage(), e);
        }
    }

    /**
     * One part of the name template; an expression part that gives null or an empty string fails the call
     * (otherwise {@code "pay:#{#sellerId}"} would lock {@code "pay:"} for every caller with a null seller).
     */
    private String evaluate(Expression part, MethodBasedEvaluationContext ctx) {
        if (part instanceof LiteralExpression literal) {
            return literal.getExpressionString();
        }
        String value;
        try {
            value = part.getValue(ctx, String.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("@Locked on " + where + ": lock name template '"
                    + name.getExpressionString() + "' failed: " + e.getMessage(), e);
        }
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("@Locked on " + where + ": lock name template '"
                    + name.getExpressionString() + "': part #{" + part.getExpressionString() + "} evaluated to "
                    + (value == null ? "null" : "an empty string") + " for this call; every part of a lock name must"
                    + " have a value, or different calls would share one lock");
        }
        return value;
    }

    /**
     * Checks the durations that depend on the application's defaults (known once the {@link LockTemplate}
     * exists): a {@code minHold} longer than the default lease time.
     *
     * @throws IllegalArgumentException naming the method
     */
    void checkAgainstDefaults(LockTemplate defaults) {
        Duration lease = leaseTime != null ? leaseTime : defaults.defaultLeaseTime();
        if (minHold.compareTo(lease) > 0) {
            throw new IllegalArgumentException("@Locked on " + where + ": minHold (" + minHold
                    + ") must not be longer than leaseTime (" + lease + (leaseTime == null ? ", the default lease time" : "")
                    + ")");
        }
    }

    /** The value a skipped call returns for the method's declared return type. */
    @Nullable Object emptyResult() {
        Class<?> type = method.getReturnType();
        if (type == Optional.class) {
            return Optional.empty();
        } else if (type == OptionalInt.class) {
            return OptionalInt.empty();
        } else if (type == OptionalLong.class) {
            return OptionalLong.empty();
        } else if (type == OptionalDouble.class) {
            return OptionalDouble.empty();
        } else if (type == List.class || type == Collection.class || type == Iterable.class) {
            return List.of();
        } else if (type == Set.class) {
            return Set.of();
        } else if (type == Map.class) {
            return Map.of();
        } else if (type == Stream.class) {
            return Stream.empty();
        } else if (type == boolean.class) {
            return false;
        } else if (type == char.class) {
            return '\0';
        } else if (type == byte.class) {
            return (byte) 0;
        } else if (type == short.class) {
            return (short) 0;
        } else if (type == int.class) {
            return 0;
        } else if (type == long.class) {
            return 0L;
        } else if (type == float.class) {
            return 0f;
        } else if (type == double.class) {
            return 0d;
        }
        return null;
    }
}
