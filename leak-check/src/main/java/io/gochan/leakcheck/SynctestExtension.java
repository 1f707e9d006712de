package io.gochan.leakcheck;

import io.gochan.Bubble;
import java.lang.reflect.Method;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * The extension behind {@link Synctest}; register it with the annotation (or {@code @ExtendWith}).
 * It intercepts the invocation of each test method and test template method (one per
 * {@code @RepeatedTest} repetition or {@code @ParameterizedTest} argument set) and runs it inside
 * {@link Bubble#run(io.gochan.Task)} on the thread JUnit invoked it on. Lifecycle methods are not
 * intercepted: they run outside the bubble. A {@code @TestFactory} method is refused with an
 * {@link ExtensionConfigurationException}. Safe with JUnit's parallel execution: bubbles on
 * different threads are independent. Registered twice for one test (the annotation and a
 * {@code @RegisterExtension} instance, which JUnit does not de-duplicate), it still runs each invocation in one
 * bubble (rule BB35).
 */
public final class SynctestExtension implements InvocationInterceptor {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SynctestExtension.class);

    /** Created by JUnit Jupiter when a test class or method carries {@link Synctest}. */
    public SynctestExtension() {}

    /**
     * Runs the test method in a new bubble.
     *
     * @param invocation the test method's invocation
     * @param invocationContext the method and its arguments
     * @param extensionContext the test's context
     * @throws Throwable what {@link Bubble#run} threw: what a goroutine of the bubble threw first, if one
     *     failed (rule BB17: an assertion failing in a goroutine fails the test); else what the test
     *     method threw, or the bubble's {@link io.gochan.BubbleDeadlockException} if its goroutines
     *     deadlocked or one was left blocked when the method returned; or
     *     {@link IllegalStateException} if the test's thread is already in a bubble
     */
    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext extensionContext) throws Throwable {
        inBubble(invocation, extensionContext);
    }

    /**
     * Runs one invocation of a test template (a repetition, an argument set) in a new bubble.
     *
     * @param invocation the invocation of the template method
     * @param invocationContext the method and its arguments
     * @param extensionContext the invocation's context
     * @throws Throwable as {@link #interceptTestMethod}
     */
    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext extensionContext) throws Throwable {
        inBubble(invocation, extensionContext);
    }

    /**
     * Refuses a {@code @TestFactory} method: the dynamic tests it returns run after it returned, so
     * they would run outside any bubble, on the real clock, though the annotation says otherwise.
     *
     * @param <T> the factory's result type
     * @param invocation the factory method's invocation (not proceeded)
     * @param invocationContext the method and its arguments
     * @param extensionContext the factory's context
     * @return never returns normally
     * @throws ExtensionConfigurationException always
     */
    @Override
    public <T> T interceptTestFactoryMethod(Invocation<T> invocation, ReflectiveInvocationContext<Method> invocationContext,
            ExtensionContext extensionContext) {
        invocation.skip();
        throw new ExtensionConfigurationException("@Synctest does not support @TestFactory method "
                + invocationContext.getExecutable().getName() + "(): its dynamic tests would run outside the bubble; "
                + "use @Test or @ParameterizedTest, or call Bubble.run in each dynamic test");
    }

    /**
     * Runs {@code invocation} as the body of a new bubble, rethrowing what it threw unchanged; {@code context} is the
     * invocation's own. If this extension already runs that very invocation in a bubble (a second registration, rule
     * BB35), it proceeds there.
     */
    private static void inBubble(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        ExtensionContext.Store store = context.getStore(NS);
        String key = context.getUniqueId();
        if (Bubble.inBubble() && store.get(key) != null) {
            // BB35: registered twice for this test (the annotation and a @RegisterExtension instance, which JUnit does
            // not de-duplicate), the interceptors nest; the outer one's bubble is this invocation's: one body, one
            // bubble. Refusing it as a nested Bubble.run failed every test of the class.
            invocation.proceed();
            return;
        }
        if (Bubble.inBubble()) {
            throw new IllegalStateException("@Synctest test invoked inside a virtual-time bubble: bubbles do not nest (BB8)");
        }
        store.put(key, Boolean.TRUE);
        Throwable[] other = new Throwable[1];
        try {
            Bubble.run(() -> {
                try {
                    invocation.proceed();
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    // Neither an Exception nor an Error, which Task.run may not declare: thrown as it is all the same,
                    // so the bubble treats it as the body's failure itself (BB46): what BB17 and BB41 attach (a
                    // goroutine's failure, a cleanup's) goes onto it, or elsewhere if it keeps nothing (BB33). A carrier
                    // exception took those attachments and was dropped when it was unwrapped.
                    other[0] = t;
                    throw SynctestExtension.<RuntimeException>unchecked(t);
                }
            });
        } catch (ExecutionException e) {
            // Bubble.run wraps a failure that is neither an Exception nor an Error; by identity, never a body's own
            // ExecutionException. The body's own Throwable is the test's failure (CH7: not its text, which may throw).
            if (other[0] != null && e.getCause() == other[0]) {
                throw other[0];
            }
            throw e;
        } finally {
            store.remove(key);
        }
    }

    /** Throws {@code t} as it is: the compiler takes it for a {@code T}, the JVM checks no exception type. */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T unchecked(Throwable t) throws T {
        throw (T) t;
    }
}
