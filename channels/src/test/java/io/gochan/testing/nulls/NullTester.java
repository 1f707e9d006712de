package io.gochan.testing.nulls;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A reflective null-argument check in the style of Guava's {@code NullPointerTester} (written here, no
 * dependency): every public constructor and method of the public types of one package is called with
 * {@code null} for each reference parameter in turn, the other arguments being simple valid values
 * registered per type. Each call must throw {@link NullPointerException} whose message names the
 * parameter (the name compiled in with {@code -parameters}, or an expected message registered for it) and
 * comes from an explicit check, not from the JDK's helpful message of a dereference somewhere inside,
 * and leave the receiver's observable state and the registered global state as they were. A parameter
 * that documents null as a meaning is exempted by name with its reason. Every method with a reference
 * parameter of every public type must be reached (from a static, a constructor or a registered
 * instance) or exempted: a method added later without a null check, or without a way to reach it here,
 * fails the check.
 *
 * <p>One copy for all modules: channels publishes its package {@code io.gochan.testing.nulls} as a test-jar
 * ({@code channels-<version>-tests.jar}, nothing else of channels' tests), which channels-select,
 * http-transport and leak-check use in test scope. A package of its own, not {@code io.gochan}: on the
 * module path a second {@code io.gochan} beside the channels module is a split package.
 */
public final class NullTester {
    private final String packageName;
    private final Class<?> anchor;
    private final Map<Class<?>, Supplier<?>> defaults = new HashMap<>();
    private final Map<String, String> exempt = new LinkedHashMap<>();
    private final Map<String, String> messages = new HashMap<>();
    private final List<Instance<?>> instances = new ArrayList<>();
    private final Set<Method> reached = new HashSet<>();
    private final List<String> failures = new ArrayList<>();
    private Supplier<?> globalState = () -> "";
    private int calls;

    private record Instance<T>(Class<T> api, Supplier<? extends T> factory, Function<? super T, ?> state) { }

    /** Checks the public types of {@code anchor}'s package, found in the directory or jar it was loaded from. */
    public NullTester(Class<?> anchor) {
        this.anchor = anchor;
        this.packageName = anchor.getPackageName();
    }

    public <T> NullTester value(Class<T> type, Supplier<? extends T> value) {
        defaults.put(type, value);
        return this;
    }

    /**
     * {@code key} is {@code Type.method(param)}, {@code Type.<init>(param)}, or {@code *(param)} for every
     * parameter of that name in the package, or {@code Type.*} for a callback interface the user implements
     * and the library calls; the reason is what its javadoc documents.
     */
    public NullTester nullable(String key, String reason) {
        exempt.put(key, reason);
        return this;
    }

    /** The message the NPE for {@code key} carries instead of the parameter's name (the documented alternative). */
    public NullTester message(String key, String expected) {
        messages.put(key, expected);
        return this;
    }

    /** State outside any receiver that a refused call must leave as it was (goroutines started, timers, connections). */
    public NullTester globalState(Supplier<?> state) {
        this.globalState = state;
        return this;
    }

    /** Instance methods of {@code api} are called on fresh objects from {@code factory}; {@code state} must not change. */
    public <T> NullTester instance(Class<T> api, Supplier<? extends T> factory, Function<? super T, ?> state) {
        instances.add(new Instance<>(api, factory, state));
        return this;
    }

    /** Runs every call; returns the failures, one line each (empty when every null was refused as it should be). */
    public List<String> run() throws Exception {
        List<Class<?>> types = publicTypes();
        for (Class<?> type : types) {
            if (Throwable.class.isAssignableFrom(type) || type.isEnum()) {
                continue; // Throwable's convention: null message and cause are allowed; enums: Enum.valueOf's own NPE
            }
            if (!Modifier.isAbstract(type.getModifiers()) && !type.isInterface()) {
                for (Constructor<?> c : type.getConstructors()) {
                    check(c, () -> null, o -> "");
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()) && !m.isSynthetic()) {
                    check(m, () -> null, o -> "");
                }
            }
        }
        for (Instance<?> in : instances) {
            checkInstance(in);
        }
        for (Class<?> type : types) {
            if (Throwable.class.isAssignableFrom(type) || type.isEnum()) {
                continue;
            }
            for (Method m : type.getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class || m.isSynthetic()
                        || !m.getDeclaringClass().getPackageName().equals(packageName) || isEquals(m)
                        || reached.contains(m) || Stream.of(m.getParameterTypes()).allMatch(Class::isPrimitive)) {
                    continue;
                }
                if (Stream.of(m.getParameters()).allMatch(p -> p.getType().isPrimitive() || isExempt(m, p))) {
                    continue;
                }
                failures.add(type.getSimpleName() + "." + m.getName() + Stream.of(m.getParameterTypes())
                        .map(Class::getSimpleName).toList() + ": not reached (register an instance of " + type.getSimpleName() + ")");
            }
        }
        return failures;
    }

    /** How many calls with a null argument were made (a check that made none checked nothing). */
    public int calls() {
        return calls;
    }

    private <T> void checkInstance(Instance<T> in) {
        for (Method m : in.api().getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class || isEquals(m)
                    || !m.getDeclaringClass().getPackageName().equals(packageName)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Function<Object, ?> state = (Function<Object, ?>) in.state();
            check(m, in.factory(), state);
        }
    }

    private static boolean isEquals(Method m) {
        return m.getName().equals("equals") && m.getParameterCount() == 1; // equals(null) is false by contract
    }

    private void check(Executable e, Supplier<?> factory, Function<Object, ?> state) {
        Parameter[] ps = e.getParameters();
        for (int i = 0; i < ps.length; i++) {
            if (ps[i].getType().isPrimitive()) {
                continue;
            }
            if (!ps[i].isNamePresent()) {
                throw new IllegalStateException("compile with -parameters: " + e);
            }
            if (e instanceof Method m) {
                reached.add(m);
            }
            String key = key(e, ps[i]);
            if (isExempt(e, ps[i])) {
                continue;
            }
            // The global state is the JVM's (goroutines started, timers pending), which code this call did not run may
            // change at any moment: a cleaner's report of an unobserved failure starts a goroutine when the collector
            // finds a dropped future (TM22), another test's timer fires. A call that changes it does so on every
            // attempt, so a change alone is checked again, twice, before it counts.
            for (int attempt = 1; ; attempt++) {
                List<String> found = new ArrayList<>();
                Object[] args = new Object[ps.length];
                for (int j = 0; j < ps.length; j++) {
                    args[j] = j == i ? null : defaultOf(ps[j].getType(), key);
                }
                Object receiver = factory.get();
                Object before = state.apply(receiver);
                Object globalBefore = globalState.get();
                Throwable thrown = null;
                calls++;
                try {
                    if (e instanceof Method m) {
                        m.invoke(receiver, args);
                    } else {
                        ((Constructor<?>) e).newInstance(args);
                    }
                } catch (InvocationTargetException ite) {
                    thrown = ite.getCause();
                } catch (ReflectiveOperationException roe) {
                    throw new AssertionError(key, roe);
                }
                String expected = messages.getOrDefault(key, ps[i].getName());
                if (thrown == null) {
                    found.add(key + ": null accepted");
                } else if (!(thrown instanceof NullPointerException)) {
                    found.add(key + ": threw " + thrown);
                } else if (thrown.getMessage() == null || thrown.getMessage().contains(" because \"")
                        || !thrown.getMessage().contains(expected)
                        && !(e instanceof Method && ps.length == 1 && thrown.getMessage().equals(e.getName()))) {
                    // (a builder's one-argument setter may name the setting instead: dialTimeout(d) says "dialTimeout")
                    StackTraceElement top = thrown.getStackTrace().length > 0 ? thrown.getStackTrace()[0] : null;
                    found.add(key + ": NPE message '" + thrown.getMessage() + "' does not name '" + expected + "' (at " + top + ")");
                }
                Object after = state.apply(receiver);
                if (!Objects.equals(before, after)) {
                    found.add(key + ": changed its receiver: " + before + " -> " + after);
                }
                Object globalAfter = globalState.get();
                if (!Objects.equals(globalBefore, globalAfter)) {
                    found.add(key + ": changed global state: " + globalBefore + " -> " + globalAfter);
                }
                boolean onlyGlobal = found.size() == 1 && !Objects.equals(globalBefore, globalAfter);
                if (!onlyGlobal || attempt == 3) {
                    failures.addAll(found);
                    break;
                }
            }
        }
    }

    private Object defaultOf(Class<?> type, String key) {
        if (type.isPrimitive()) {
            if (type == boolean.class) {
                return false;
            }
            if (type == long.class) {
                return 1L;
            }
            if (type == double.class) {
                return 1.0;
            }
            return 1;
        }
        Supplier<?> s = defaults.get(type);
        if (s != null) {
            return s.get();
        }
        if (type.isArray()) {
            return java.lang.reflect.Array.newInstance(type.getComponentType(), 0);
        }
        if (type.isEnum()) {
            return type.getEnumConstants()[0];
        }
        throw new IllegalStateException("no default value of " + type.getName() + " for " + key);
    }

    private boolean isExempt(Executable e, Parameter p) {
        return exempt.containsKey(key(e, p)) || exempt.containsKey("*(" + p.getName() + ")")
                || exempt.containsKey(e.getDeclaringClass().getSimpleName() + ".*");
    }

    private static String key(Executable e, Parameter p) {
        String name = e instanceof Constructor ? "<init>" : e.getName();
        return e.getDeclaringClass().getSimpleName() + "." + name + "(" + p.getName() + ")";
    }

    private List<Class<?>> publicTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = root.resolve(packageName.replace('.', '/'));
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (!n.endsWith(".class") || n.equals("module-info.class") || n.equals("package-info.class")) {
                    continue;
                }
                Class<?> c = Class.forName(packageName + "." + n.substring(0, n.length() - 6),
                        false, anchor.getClassLoader());
                if (isPublicApi(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    private static boolean isPublicApi(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }
}
