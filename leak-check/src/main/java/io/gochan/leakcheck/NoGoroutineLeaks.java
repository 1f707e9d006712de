package io.gochan.leakcheck;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fails a test that leaves goroutines or virtual threads running (Go's goleak, for gochan): after each
 * test method, every goroutine attributed to the test and every virtual thread created while it ran
 * must have ended. Those still finishing get a grace period: the check joins each goroutine (so it
 * returns as soon as they end, never sleeping in fixed steps) until the grace period is used up.
 *
 * <pre>{@code
 * @NoGoroutineLeaks
 * class MyServiceTest { ... }
 * }</pre>
 *
 * A failure lists each leaked goroutine: its name and id, what it is blocked on (for example
 * {@code receive from chan(cap=0, ...)}), its owner, its stack, and where it was started if
 * {@link #captureStartSites()} is on; and each leaked virtual thread that is not a goroutine, with its
 * stack, as the JDK's thread dump shows it.
 *
 * <p>Whose leak is it (rules LK1-LK8 of the repository's {@code docs/spec/leak-check.md}):
 * <ul>
 *   <li>each test runs inside a {@link io.gochan.GoroutineOwner} of its own: goroutines started by the
 *       test's thread, by threads it creates, and by those goroutines, transitively, are the test's,
 *       so tests running in parallel are judged separately;
 *   <li>goroutines of an owner made by long-lived code (a connection pool, an HTTP transport) are not
 *       a leak while the owner is open; once it is closed they must end within the grace period, or
 *       they are the leak of the test that closed it. An owner made in {@code @BeforeAll} and closed
 *       in {@code @AfterAll} belongs to the class, which is checked after its {@code @AfterAll} methods;
 *   <li>goroutines and virtual threads already running when the test started are not its leaks
 *       ({@link #ignoreCurrent()});
 *   <li>a virtual thread that is not a goroutine ({@code Thread.ofVirtual()}, a virtual-thread-per-task
 *       executor) is found through the JDK's thread dump, taken only when a thread other than a
 *       goroutine was created while the test ran; it carries no attribution, so if tests ran in
 *       parallel the report names them;
 *   <li>platform threads are checked too, unless {@link #platformThreads()} is turned off.
 * </ul>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(GoroutineLeakExtension.class)
public @interface NoGoroutineLeaks {
    /**
     * {@return regular expressions; a goroutine or virtual thread whose name matches one of them is
     * never reported}
     */
    String[] allow() default {};

    /**
     * {@return regular expressions over {@code fully.qualified.Class.method}; a goroutine or virtual
     * thread whose top function (the first frame of its stack outside the JDK and gochan's channels,
     * so not the JDK's {@code park}) matches one of them is never reported (goleak's
     * IgnoreTopFunction)}
     */
    String[] ignoreTopFunction() default {};

    /**
     * {@return regular expressions over {@code fully.qualified.Class.method}; a goroutine or virtual
     * thread with any frame that matches one of them is never reported (goleak's IgnoreAnyFunction)}
     */
    String[] ignoreAnyFunction() default {};

    /**
     * {@return regular expressions over {@code fully.qualified.Class.method}; a goroutine whose start
     * site (needs {@link #captureStartSites()}) was called from a matching function is never reported}
     */
    String[] ignoreCreatedBy() default {};

    /** {@return regular expressions; a goroutine whose owner's name matches one of them is never reported} */
    String[] ignoreOwners() default {};

    /**
     * {@return whether goroutines and virtual threads already running when the test started are left
     * out (goleak's IgnoreCurrent); false reports every one not otherwise excused}
     */
    boolean ignoreCurrent() default true;

    /**
     * {@return whether virtual threads that are not goroutines are checked too (through the JDK's
     * thread dump, taken only when the test created a thread other than a goroutine); the JDK's own (its NIO
     * pollers) are not, unless they run code of the user's, such as a JDK {@code HttpServer}'s handler (rule LK35)}
     */
    boolean virtualThreads() default true;

    /**
     * {@return whether platform threads are checked too (on by default): a platform thread created while
     * the test ran and still running after the grace period fails it, with its stack (a pool that was never
     * shut down, a thread never joined). Not the runtime's own: the virtual-thread scheduler's carriers, the
     * common pool's workers, the JDK's system threads and those whose code is the JDK's ({@code sun.*},
     * {@code jdk.*}, {@code com.sun.*}) while they run none of the user's (a JDK {@code HttpServer}'s dispatcher
     * stuck in a handler of the test's is reported, rule LK35), JUnit's timeout thread, gochan's own timer thread;
     * {@link #allow()},
     * {@link #ignoreTopFunction()} and {@link #ignoreAnyFunction()} excuse them as they excuse virtual
     * threads. Only threads created while the test ran are judged, whatever {@link #ignoreCurrent()} says:
     * the JVM's and the test runner's threads are older. Listing them takes every platform thread's stack
     * ({@link Thread#getAllStackTraces()}), done only when a platform thread created during the test is
     * alive when it ends}
     */
    boolean platformThreads() default true;

    /**
     * {@return whether timers the test left scheduled fail it too (rule LK32 of the repository's
     * {@code docs/spec/leak-check.md}): {@code timers = true} turns the check on, {@code timers = false} off, and the
     * default, no value ({@code {}}), leaves it to the suite-wide configuration parameter
     * {@value GoroutineLeakExtension#TIMERS_PARAMETER} (rule LK33), off when that is not set} An
     * {@link io.gochan.Timers#afterFunc afterFunc} timer never stopped, or a context's own deadline
     * ({@code Context.withDeadline}, {@code withTimeout}) whose context was never cancelled, stays scheduled whoever
     * references it, and fires later, in another test: the function runs there, the context is cancelled there. With
     * the check on, each such timer made while the test ran (on a thread attributed to it, as its goroutines are:
     * {@link io.gochan.GoroutineOwner#scheduledTimers()}) and still scheduled when the check has waited for the test's
     * goroutines fails the test, named by its kind, when it is due and where it was made (with
     * {@link #captureStartSites()}), unless it is due within {@link #graceMillis()} of that look: it fires on its own
     * then. A timer the test stopped, or a context it (or an ancestor's cancel) cancelled, is never reported, nor a
     * channel timer or ticker (garbage once nobody references it), nor a virtual-time bubble's timer.
     *
     * <p>An array so that an annotation can leave it unsaid: {@code timers = true} is the one-element array
     * {@code {true}}. A value stated here wins over the configuration parameter, for the class (and its {@code @Nested}
     * classes) or the method it annotates; more than one element fails the class or test with an
     * {@link org.junit.jupiter.api.extension.ExtensionConfigurationException}.
     */
    boolean[] timers() default {};

    /** {@return how long to wait, in total, for goroutines that are still finishing} */
    long graceMillis() default 5_000;

    /**
     * {@return Record where each goroutine was started (costs a stack walk per start while the test
     * runs)}
     */
    boolean captureStartSites() default true;
}
