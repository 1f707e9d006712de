package io.gochan.leakcheck;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs each test method's body in a virtual-time bubble (Go's {@code synctest.Test}, for JUnit
 * Jupiter): the body is run by {@link io.gochan.Bubble#run(io.gochan.Task)} on the test's thread, so
 * timers, tickers, context deadlines, select timeouts and {@link io.gochan.Timers#sleep} inside it use
 * the bubble's clock, which starts at 2000-01-01T00:00:00Z and jumps to the next timer as soon as
 * every goroutine of the bubble is durably blocked. A test of a one-hour ticker finishes in
 * milliseconds.
 *
 * <pre>{@code
 * @Synctest                         // from leak-check (io.gochan:leak-check, test scope)
 * class HourlyReportTest {
 *     @Test void aDayOfHourlyReportsTakesMilliseconds() throws Exception {
 *         Chan<Instant> reports = Chan.make();
 *         Go.go("reporter", () -> {
 *             Timer hourly = Timers.newTicker(Duration.ofHours(1));
 *             for (int i = 0; i < 24; i++) {
 *                 reports.send(hourly.c().receive());
 *             }
 *             hourly.stop();
 *         });
 *         Instant start = Timers.now();                     // 2000-01-01T00:00:00Z in every bubble
 *         for (int i = 1; i <= 24; i++) {
 *             assertThat(reports.receive()).isEqualTo(start.plus(Duration.ofHours(i)));
 *         }
 *         Bubble.await();                                   // the reporter has finished
 *         assertThat(reports.receive(Duration.ofHours(2)).ok()).isFalse();   // no 25th report
 *         assertThat(Timers.now()).isEqualTo(Instant.parse("2000-01-02T02:00:00Z"));
 *     }
 * }
 * }</pre>
 *
 * <p>What runs where (rules BB11-BB15 and BB17 of the repository's {@code docs/spec/bubbles.md}):
 * <ul>
 *   <li>On a class, every test method of it (and of its subclasses) runs in a bubble of its own; on
 *       a method, that method does. {@code @Test}, {@code @RepeatedTest}, {@code @ParameterizedTest}
 *       and other test templates are supported: each invocation is a bubble. {@code @TestFactory} is
 *       refused (its dynamic tests would run after the bubble ended).</li>
 *   <li>Only the method body is in the bubble, as in Go, where {@code synctest.Test} wraps one
 *       function: {@code @BeforeEach}, {@code @AfterEach}, {@code @BeforeAll} and {@code @AfterAll}
 *       methods run outside it, on the real clock. A channel or timer they make, or a wait group they
 *       first add to, is not the bubble's:
 *       a goroutine of the bubble blocked on such a channel is not durably blocked, so time waits
 *       for it. Make what the test needs in the test body.</li>
 *   <li>The body may call {@link io.gochan.Bubble#await()}, {@link io.gochan.Timers#now()} and
 *       {@link io.gochan.Timers#sleep}; it must not call {@code Bubble.run} itself (bubbles do not
 *       nest: that call throws {@link IllegalStateException} and fails the test).</li>
 *   <li>Go's {@code t.Context()} and {@code t.Cleanup} are {@link io.gochan.Bubble#context()} and
 *       {@link io.gochan.Bubble#cleanup}, called in the body or its goroutines (rules BB40, BB41): the context is
 *       cancelled when the body returns, then the cleanups run in the bubble, the last registered first, with the
 *       clock still moving, and only then does the bubble wait for its goroutines. Stop background goroutines
 *       there: one bound to {@code Bubble.context()}, or stopped by a cleanup, ends before the deadlock judgement
 *       (the context's own {@code ContextCanceledException}, thrown out of such a goroutine, is its end, not a
 *       failure: BB50).
 *       {@code @AfterEach} cannot do this: it runs outside the bubble, after its end. The context is not a test
 *       method parameter, since JUnit resolves parameters before the bubble exists.</li>
 *   <li>The test fails with a {@link io.gochan.BubbleDeadlockException}, whose message dumps every
 *       goroutine of the bubble with what it is blocked on and its stack, when the goroutines of the
 *       bubble deadlock, and also when the body returns while a goroutine it started is blocked for
 *       ever (a leak: the bubble waits for its goroutines to end). The clock stops when the body
 *       returns, as Go's does, so a goroutine left sleeping or looping on a ticker is such a leak
 *       (rule BB39). A goroutine that is still running
 *       (not durably blocked, for example in I/O or on a lock) is waited for in real time: bound
 *       such a test with JUnit's {@code @Timeout}, whose interrupt stops the bubble's goroutines.</li>
 *   <li>A goroutine of the bubble whose task throws (an assertion that fails in a goroutine started
 *       with {@link io.gochan.Go#go}) fails the test with that exception, even if the body returned
 *       normally, as a panic in a goroutine fails Go's {@code synctest.Test}: the bubble stops its
 *       other goroutines and the body at once, and what they threw in answer is attached to it as
 *       suppressed. An exception caused by an interrupt is not such a failure, and the failures of
 *       {@link io.gochan.Go#future} and {@link io.gochan.ErrGroup} goroutines are their handles'.</li>
 *   <li>With {@link NoGoroutineLeaks} on the same test, the leak check runs outside the bubble,
 *       after it: the bubble has already waited for its goroutines, so what the leak check can still
 *       find are threads that are not goroutines (for example {@code Thread.ofVirtual()}).</li>
 * </ul>
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(SynctestExtension.class)
public @interface Synctest {}
