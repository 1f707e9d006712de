package io.gochan.leakcheck;

import io.gochan.Goroutines;

import io.gochan.GoroutineOwner;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.DynamicTestInvocationContext;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestInstanceFactoryContext;
import org.junit.jupiter.api.extension.TestInstancePreConstructCallback;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link NoGoroutineLeaks}; register it with the annotation (or
 * {@code @ExtendWith}). Each test runs inside a goroutine owner of its own (see
 * {@link io.gochan.GoroutineOwner}); after it, the extension waits for the goroutines attributed to
 * it, and for the virtual threads created while it ran, to end within the grace period, and fails
 * the test with a report of those that did not. A test class's {@code @BeforeAll} and
 * {@code @AfterAll} methods run inside an owner of the class, checked after the {@code @AfterAll}
 * methods. Each check runs as JUnit closes the test's (or class's) context, after JUnit's own cleanup: the after
 * callbacks of extensions registered before this one, {@code @AutoClose} fields, stored values JUnit closes (rule LK43).
 * A failure of the test's own keeps the leak report as a suppressed exception, or, if it cannot keep one, the report
 * is logged and published as a report entry (rule LK40). Safe with JUnit's parallel execution: each test is judged
 * on its own goroutines. Each invocation of a {@code @RepeatedTest}, {@code @ParameterizedTest} or other test template
 * is judged on its own and named in the report (a test of a {@code @ParameterizedClass} by the class's invocation
 * too), and so is each dynamic test of a {@code @TestFactory}, on whichever thread JUnit runs it.
 */
public final class GoroutineLeakExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        TestInstancePreConstructCallback, InvocationInterceptor {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(GoroutineLeakExtension.class);
    private static final ReentrantLock CAPTURE_LOCK = new ReentrantLock();
    /** The key of the report entry that carries a leak report a dynamic test's failure cannot keep (LK26). */
    static final String UNKEPT_KEY = "goroutine-leak-check";
    private static int capturing; // guarded by CAPTURE_LOCK: checks that turned start-site capture on
    private static boolean captureBefore; // guarded by CAPTURE_LOCK

    /**
     * The JUnit configuration parameter that turns the timer check ({@link NoGoroutineLeaks#timers()}, rule LK32) on for
     * every checked class and test whose annotation states no {@code timers} value (rule LK33): {@code true} or
     * {@code false} (any case), set in {@code junit-platform.properties}, as a JVM system property
     * ({@code -Dgochan.leakcheck.timers=true}) or by the launcher, as JUnit reads any configuration parameter. It does
     * not register the extension: classes without {@link NoGoroutineLeaks} (or the extension) are not checked at all.
     * Any other value fails each checked class with an
     * {@link org.junit.jupiter.api.extension.ExtensionConfigurationException} naming it, rather than leave the check
     * off unseen.
     */
    public static final String TIMERS_PARAMETER = "gochan.leakcheck.timers";

    /** Created by JUnit Jupiter when a test class carries {@link NoGoroutineLeaks}. */
    public GoroutineLeakExtension() {}

    @Override
    public void beforeAll(ExtensionContext context) {
        if (!begun(context)) { // LK14: a per-class instance's construction opened it already
            beginClass(context);
        }
    }

    private static void beginClass(ExtensionContext context) {
        String name = "class " + context.getRequiredTestClass().getSimpleName() + classInvocations(context);
        NoGoroutineLeaks config = classConfig(context);
        boolean timers = timers(context, config); // before the window opens: it may throw (LK33)
        begin(context, Window.open(name, Window.Kind.CLASS, enclosing(context), null, null), config, timers);
    }

    /**
     * LK58: runs the static initializers of the test's class and of the classes enclosing it (outermost first) that
     * nothing ran before, in the class's window, just before the first test's window opens: after every
     * {@code @BeforeAll} callback and method, so an initializer sees what they set up, as it did when JUnit ran it.
     * Left to JUnit, it ran wherever the class was first used: in its first {@code @BeforeAll} method (the class's
     * window), or, if it has none, as the first test's instance was constructed (that test's window), so a thread or
     * goroutine a static initializer starts was the class's or the leak of whichever test happened to run first,
     * depending on a method unrelated to it. An initializer that throws fails that test, with its error, as before.
     */
    private static void initialize(Class<?> testClass) {
        java.util.ArrayDeque<Class<?>> classes = new java.util.ArrayDeque<>();
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            classes.addFirst(c);
        }
        for (Class<?> c : classes) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                // Cannot happen: the class JUnit runs was loaded by this very loader, which finds it again.
                throw new IllegalStateException("cannot initialize test class " + c.getName(), e);
            }
        }
    }

    /**
     * LK19: {@return the display names of the invocations of class templates ({@code @ParameterizedClass}) that are or
     * enclose {@code context}, outermost first, as {@code " of [2] fruit=pear"}; empty if none} JUnit runs the class's
     * tests once an invocation, so the method's name alone does not tell one invocation's test from another's.
     */
    private static String classInvocations(ExtensionContext context) {
        java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent(); c = c.get().getParent()) {
            String id = c.get().getUniqueId();
            if (id.substring(id.lastIndexOf("/[") + 1).startsWith("[class-template-invocation:")) {
                names.addFirst(c.get().getDisplayName());
            }
        }
        return names.isEmpty() ? "" : " of " + String.join(" > ", names);
    }

    /**
     * LK23: {@return whether this very context's window is open already} A second registration of the extension (an
     * {@code @RegisterExtension} instance beside the annotation, which JUnit does not de-duplicate) then opens none:
     * a second window under the same key would never be ended, and its owner would stay entered on the runner's thread.
     */
    private static boolean begun(ExtensionContext context) {
        return context.getStore(NS).get(context.getUniqueId(), Running.class) != null;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        markDue(context, "the test class's @AfterAll methods");
    }

    /**
     * LK14: the test's window opens before JUnit constructs its test instance (one per test, the default lifecycle),
     * so a thread its constructor or field initializers create, or a goroutine they start, is the test's; with
     * {@code @TestInstance(PER_CLASS)} JUnit constructs the one instance before the {@code @BeforeAll} callbacks, and
     * the class's window opens here, so what the instance starts is the class's.
     */
    @Override
    public void preConstructTestInstance(TestInstanceFactoryContext factoryContext, ExtensionContext context) {
        // Only the first call's: a @Nested test constructs its enclosing classes' instances first, and a second
        // registration of the extension calls this again (LK23).
        if (begun(context)) {
            return;
        }
        if (context.getTestMethod().isPresent()) {
            if (enclosing(context) != null) { // LK58: a class window is open (the class is checked, not only the method)
                initialize(context.getRequiredTestClass());
            }
            beginTest(context);
        } else if (context.getTestInstanceLifecycle().orElse(null) == TestInstance.Lifecycle.PER_CLASS
                && context.getTestClass().isPresent()) {
            beginClass(context);
        }
    }

    /** Asks JUnit for the test's own context in {@link #preConstructTestInstance}, not its class's. */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!begun(context)) { // LK14: the test instance's construction opened it already, unless JUnit constructed none
            beginTest(context);
        }
    }

    private static void beginTest(ExtensionContext context) {
        String name = "test " + context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName() + "()";
        if (context.getParent().flatMap(ExtensionContext::getTestMethod).isPresent()) {
            // LK19: an invocation of a test template (@RepeatedTest, @ParameterizedTest): its parent is the template, and
            // its display name ("repetition 2 of 3", "[2] pear") is what tells it from its siblings.
            name += " " + context.getDisplayName();
        }
        name += classInvocations(context);
        NoGoroutineLeaks config = config(context);
        boolean timers = timers(context, config); // before the window opens: it may throw (LK33)
        begin(context, Window.open(name, Window.Kind.TEST, enclosing(context), null, null), config, timers);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        markDue(context, "the test");
    }

    /**
     * Runs the test method inside the test's owner, entered on the thread the method runs on (rule LK36): JUnit's
     * {@code @Timeout(threadMode = SEPARATE_THREAD)} runs it on a thread of its own, which carried the test's owner only
     * by inheritance (LK17), so with tests in parallel each test running beside it failed for its goroutines too (LK18).
     *
     * @param invocation the test method's invocation
     * @param invocationContext the method and its arguments
     * @param context the test's context
     * @throws Throwable what the method threw
     */
    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context) throws Throwable {
        inOwner(invocation, context);
    }

    /**
     * Runs one invocation of a test template (a repetition, an argument set) as {@link #interceptTestMethod} runs a
     * test method (rule LK36).
     *
     * @param invocation the invocation of the template method
     * @param invocationContext the method and its arguments
     * @param context the invocation's context
     * @throws Throwable what the method threw
     */
    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context) throws Throwable {
        inOwner(invocation, context);
    }

    /**
     * Runs a {@code @BeforeEach} method inside the test's owner, entered on the thread it runs on (rule LK36).
     *
     * @param invocation the method's invocation
     * @param invocationContext the method and its arguments
     * @param context the test's context
     * @throws Throwable what the method threw
     */
    @Override
    public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context) throws Throwable {
        inOwner(invocation, context);
    }

    /**
     * Runs an {@code @AfterEach} method inside the test's owner, entered on the thread it runs on (rule LK36).
     *
     * @param invocation the method's invocation
     * @param invocationContext the method and its arguments
     * @param context the test's context
     * @throws Throwable what the method threw
     */
    @Override
    public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context) throws Throwable {
        inOwner(invocation, context);
    }

    /**
     * Runs a {@code @BeforeAll} method inside the class's owner, entered on the thread it runs on (rule LK36).
     *
     * @param invocation the method's invocation
     * @param invocationContext the method and its arguments
     * @param context the class's context
     * @throws Throwable what the method threw
     */
    @Override
    public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context) throws Throwable {
        inOwner(invocation, context);
    }

    /**
     * Runs an {@code @AfterAll} method inside the class's owner, entered on the thread it runs on (rule LK36).
     *
     * @param invocation the method's invocation
     * @param invocationContext the method and its arguments
     * @param context the class's context
     * @throws Throwable what the method threw
     */
    @Override
    public void interceptAfterAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext context) throws Throwable {
        inOwner(invocation, context);
    }

    /**
     * LK36: proceeds with the window of {@code context} (if it is checked) entered as the owner of the calling thread.
     * On the thread that opened the window this changes nothing; on a thread JUnit made for the invocation (its
     * separate timeout thread), which only inherited the owner, what the invocation starts is the window's own.
     */
    private static void inOwner(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        Running r = context.getStore(NS).get(context.getUniqueId(), Running.class);
        if (r == null) {
            invocation.proceed();
            return;
        }
        try (GoroutineOwner.Scope entered = r.window().owner.enter()) {
            invocation.proceed();
        }
    }

    /**
     * LK20: a dynamic test of a {@code @TestFactory} is judged on its own. JUnit calls no {@code beforeEach} or
     * {@code afterEach} for it (they wrap the factory and all its dynamic tests), but it calls this on the thread that
     * runs the dynamic test, which with parallel execution need not be the factory's: the dynamic test runs inside an
     * owner of its own there, and fails for what it leaves running; the factory is not blamed for it.
     *
     * @param invocation the dynamic test's body
     * @param invocationContext the dynamic test's executable
     * @param context the dynamic test's context
     * @throws Throwable what the body threw (with the leak report as a suppressed exception, if it leaked too), or the
     *         leak report
     */
    @Override
    public void interceptDynamicTest(Invocation<Void> invocation, DynamicTestInvocationContext invocationContext,
            ExtensionContext context) throws Throwable {
        Running factory = factory(context);
        if (factory == null) {
            invocation.proceed();
            return;
        }
        Window w = Window.open(factory.window().name + " > " + dynamicPath(context), Window.Kind.TEST, factory.window().parent,
                null, factory.window());
        if (factory.config().captureStartSites()) {
            captureOn();
        }
        Throwable failed = null;
        try {
            invocation.proceed();
        } catch (Throwable t) {
            failed = t;
        }
        Throwable leaked = null;
        try {
            check(new Running(w, factory.config(), factory.timers(), factory.parallel(), context), "the dynamic test");
        } catch (AssertionError | InterruptedException e) {
            leaked = e;
        }
        if (failed != null) {
            // The test's own failure stays the one reported, as JUnit keeps it ahead of a failing @AfterEach (LK20);
            // an interrupt of the check rides along, the flag set again since its exception is not thrown.
            if (leaked != null) {
                keepOrReport(context, "the dynamic test's", failed, leaked); // LK26
            }
            if (leaked instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw failed;
        }
        if (leaked != null) {
            throw leaked;
        }
    }

    /**
     * Keeps {@code leaked} as suppressed in the failure the test (or class) is reported with, and if that failure was
     * made with suppression disabled and so kept nothing, logs and publishes it instead ({@link #reportUnkept}).
     */
    private static void keepOrReport(ExtensionContext context, String whose, Throwable failed, Throwable leaked) {
        failed.addSuppressed(leaked);
        if (!java.util.Arrays.asList(failed.getSuppressed()).contains(leaked)) {
            reportUnkept(context, whose, failed, leaked);
        }
    }

    /**
     * LK26, LK40: the own failure of a dynamic test (or of a test, a lifecycle method: {@code whose} says which) was made
     * with suppression disabled ({@code Throwable}'s four-argument
     * constructor with {@code enableSuppression} false, as lightweight exceptions are) and kept nothing of what its
     * check found ({@code leaked}, the leak report or the interrupt of the check's wait). It is logged (at ERROR, at
     * WARNING for the interrupt) and published as a report entry of the test (key {@code goroutine-leak-check},
     * what {@code leaked.toString()} says). Never throws: the test's failure is still the one reported (LK20).
     */
    private static void reportUnkept(ExtensionContext context, String whose, Throwable failed, Throwable leaked) {
        try {
            System.getLogger(GoroutineLeakExtension.class.getName()).log(
                    leaked instanceof InterruptedException ? System.Logger.Level.WARNING : System.Logger.Level.ERROR,
                    context.getDisplayName() + ": " + whose + " failure, a " + failed.getClass().getName()
                            + " made with suppression disabled, cannot keep what its goroutine leak check found",
                    leaked);
        } catch (Throwable ignored) {
            // The logger failed: the report entry below still tells.
        }
        try {
            context.publishReportEntry(UNKEPT_KEY, leaked.toString());
        } catch (Throwable ignored) {
            // A listener failed: the log above told.
        }
    }

    /** {@return the checked test (the factory) enclosing a dynamic test's context, or null} */
    private static Running factory(ExtensionContext context) {
        for (Optional<ExtensionContext> p = context.getParent(); p.isPresent(); p = p.get().getParent()) {
            Running r = context.getStore(NS).get(p.get().getUniqueId(), Running.class);
            if (r != null) {
                return r.window().kind == Window.Kind.TEST ? r : null;
            }
        }
        return null;
    }

    /** {@return the display names from a dynamic test up to its factory, outermost first, joined by " > "} */
    private static String dynamicPath(ExtensionContext context) {
        java.util.ArrayDeque<String> names = new java.util.ArrayDeque<>();
        for (Optional<ExtensionContext> c = Optional.of(context); c.isPresent() && c.get().getUniqueId().endsWith("]")
                && c.get().getUniqueId().substring(c.get().getUniqueId().lastIndexOf('[')).startsWith("[dynamic-");
                c = c.get().getParent()) {
            names.addFirst(c.get().getDisplayName());
        }
        return String.join(" > ", names);
    }

    /**
     * A checked window, its settings, whether its timers are checked (LK32, LK33), and whether JUnit runs tests in
     * parallel (LK21). JUnit closes it with its context, after every callback of the test (or class) and JUnit's own
     * cleanup ({@code @AutoClose} fields, other extensions' after callbacks, the values they stored): the check runs
     * then (LK43), once the after callback has said what ended ({@code due}). A window whose after callback never ran (one
     * opened before the test instance's construction, which threw, so that JUnit called neither the before nor the after
     * callbacks) ends unchecked (the test failed already), and its owner leaves the runner's thread. A
     * {@code CloseableResource} too: JUnit closes that one with its context even when the configuration turns off the
     * closing of stored {@code AutoCloseable} values, which would skip the check.
     */
    @SuppressWarnings("deprecation") // CloseableResource: see above
    private record Running(Window window, NoGoroutineLeaks config, boolean timers, boolean parallel, ExtensionContext context,
            AtomicReference<String> due) implements AutoCloseable, ExtensionContext.Store.CloseableResource {
        Running(Window window, NoGoroutineLeaks config, boolean timers, boolean parallel, ExtensionContext context) {
            this(window, config, timers, parallel, context, new AtomicReference<>());
        }

        @Override
        public void close() throws InterruptedException {
            String ended = due.getAndSet(null);
            if (ended != null) {
                end(this, ended);
                return;
            }
            window.end();
            if (config.captureStartSites()) {
                captureOff();
            }
            window.close();
        }
    }

    private static boolean parallel(ExtensionContext context) {
        return context.getConfigurationParameter("junit.jupiter.execution.parallel.enabled").map(Boolean::parseBoolean).orElse(false);
    }

    /** {@return the window of the nearest enclosing class being checked, or null} */
    private static Window enclosing(ExtensionContext context) {
        for (Optional<ExtensionContext> p = context.getParent(); p.isPresent(); p = p.get().getParent()) {
            Running r = context.getStore(NS).get(p.get().getUniqueId(), Running.class);
            if (r != null && r.window().kind == Window.Kind.CLASS) {
                return r.window();
            }
        }
        return null;
    }

    private static void begin(ExtensionContext context, Window window, NoGoroutineLeaks config, boolean timers) {
        if (config.captureStartSites()) {
            captureOn();
        }
        context.getStore(NS).put(context.getUniqueId(), new Running(window, config, timers, parallel(context), context));
    }

    /**
     * LK33: {@return whether the window's timers are checked} The annotation's own {@code timers} value if it states
     * one, else the configuration parameter {@link #TIMERS_PARAMETER}, else off.
     *
     * @throws ExtensionConfigurationException for more than one {@code timers} value, or a parameter neither
     *     {@code true} nor {@code false}: a misspelt switch would leave the check off unseen
     */
    private static boolean timers(ExtensionContext context, NoGoroutineLeaks config) {
        boolean[] stated = config.timers();
        if (stated.length > 1) {
            throw new ExtensionConfigurationException("@NoGoroutineLeaks(timers = ...) takes one value, true or false, not "
                    + stated.length + " (LK33)");
        }
        if (stated.length == 1) {
            return stated[0];
        }
        Optional<String> parameter = context.getConfigurationParameter(TIMERS_PARAMETER);
        if (parameter.isEmpty()) {
            return false;
        }
        String value = parameter.get().strip();
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ExtensionConfigurationException("the configuration parameter " + TIMERS_PARAMETER
                + " must be true or false, not \"" + parameter.get() + "\" (LK33)");
    }

    /**
     * LK43: marks the window of {@code context} as due for its check, which runs when JUnit closes the context (the
     * store closes {@link Running}), after what still ends the test or class: the after callbacks of extensions
     * registered before this one (JUnit calls them after this one's), {@code @AutoClose} fields, values stored to be
     * closed. The window stays open meanwhile: what they start is still the test's (or class's).
     */
    private static void markDue(ExtensionContext context, String ended) {
        Running r = context.getStore(NS).get(context.getUniqueId(), Running.class);
        if (r != null) {
            r.due().set(ended);
        }
    }

    /** Checks the window of {@code r} (its after callback said what {@code ended}); throws what the test must fail with. */
    private static void end(Running r, String ended) throws InterruptedException {
        ExtensionContext context = r.context();
        try {
            check(r, ended);
        } catch (AssertionError leaked) {
            Throwable failed = context.getExecutionException().orElse(null);
            if (failed == null || failed == leaked || failed instanceof org.opentest4j.TestAbortedException) {
                throw leaked; // JUnit reports it (in place of an abort, which it then carries: LK19)
            }
            // LK40: the test (or a lifecycle method) failed already. JUnit would add the report to that failure as
            // suppressed, and lose it without a word if the failure was made with suppression disabled: added here
            // instead, where whether it was kept can be seen. Not thrown as well: it would be added twice.
            keepOrReport(context, r.window().kind == Window.Kind.CLASS ? "the test class's" : "the test's", failed, leaked);
        }
    }

    private static void check(Running r, String ended) throws InterruptedException {
        r.window().end();
        if (r.config().captureStartSites()) {
            captureOff();
        }
        // First the GC (LK10, only when the JVM runs the opt-in detection): a goroutine that nothing
        // reaches any more is collected here and reported as blocked forever, not as still running.
        String report = Collected.since(r.window().goroutineMark, Goroutines.startedCount());
        // LK24: a flag the test left set (it checked that code under test restores it) is the test's state, not a
        // request to abort the check: cleared for the grace period, set again for JUnit to see. An interrupt that
        // arrives while the check waits still aborts it.
        boolean stale = Thread.interrupted();
        try {
            Judge.Finding leaked = new Judge(r.window(), Config.of(r.config()), r.parallel()).await();
            if (!leaked.isEmpty()) {
                String running = Report.of(leaked, r.config().graceMillis(), ended); // null: all ended meanwhile (LK30)
                if (running != null) {
                    report = report == null ? running : report + running;
                }
            }
            if (r.timers()) {
                // After the goroutines' wait, so that a timer a goroutine stops as it ends is not reported (LK32).
                String timers = TimerLeaks.report(r.window().owner, r.window().name, r.config().graceMillis());
                if (timers != null) {
                    report = report == null ? timers : report + timers;
                }
            }
        } finally {
            r.window().close();
            if (stale) {
                Thread.currentThread().interrupt();
            }
        }
        if (report != null) {
            throw new AssertionError(report);
        }
    }

    private static void captureOn() {
        CAPTURE_LOCK.lock();
        try {
            if (capturing++ == 0) {
                captureBefore = Goroutines.startSiteCapture();
                Goroutines.setStartSiteCapture(true);
            }
        } finally {
            CAPTURE_LOCK.unlock();
        }
    }

    private static void captureOff() {
        CAPTURE_LOCK.lock();
        try {
            if (--capturing == 0) {
                Goroutines.setStartSiteCapture(captureBefore);
            }
        } finally {
            CAPTURE_LOCK.unlock();
        }
    }

    private static NoGoroutineLeaks config(ExtensionContext context) {
        Optional<NoGoroutineLeaks> onMethod = context.getTestMethod().flatMap(GoroutineLeakExtension::find);
        return onMethod.orElseGet(() -> classConfig(context));
    }

    /**
     * LK12: the annotation on the test class, else on the class enclosing it as JUnit nests it ({@code @Nested}
     * classes are inner classes, whose tests inherit the enclosing class's extensions, so its settings too).
     */
    private static NoGoroutineLeaks classConfig(ExtensionContext context) {
        for (Class<?> c = context.getTestClass().orElse(null); c != null; c = nestedIn(c)) {
            Optional<NoGoroutineLeaks> found = find(c);
            if (found.isPresent()) {
                return found.get();
            }
        }
        return Defaults.INSTANCE;
    }

    /** {@return the class enclosing {@code c} if {@code c} is an inner (non-static member) class, as @Nested ones are} */
    private static Class<?> nestedIn(Class<?> c) {
        return c.isMemberClass() && !java.lang.reflect.Modifier.isStatic(c.getModifiers()) ? c.getEnclosingClass() : null;
    }

    private static Optional<NoGoroutineLeaks> find(AnnotatedElement e) {
        return AnnotationSupport.findAnnotation(e, NoGoroutineLeaks.class);
    }

    /** Default settings when the extension is registered without the annotation. */
    @NoGoroutineLeaks
    private static final class Defaults {
        static final NoGoroutineLeaks INSTANCE = Defaults.class.getAnnotation(NoGoroutineLeaks.class);
    }
}
