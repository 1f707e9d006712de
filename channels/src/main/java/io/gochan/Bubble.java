package io.gochan;

import java.util.Objects;

/**
 * Go's {@code testing/synctest} for gochan: runs code in a <em>bubble</em> with virtual time, so that
 * tests of timeouts, tickers and deadlines run in milliseconds and deterministically (ADR 0013).
 *
 * <pre>{@code
 * Bubble.run(() -> {
 *     CancellableContext ctx = Context.withTimeout(Context.background(), Duration.ofHours(1));
 *     ctx.done().receiveOk();               // returns at once: the clock jumps an hour
 *     System.out.println(Timers.now());     // prints 2000-01-01T01:00:00Z
 * });
 * }</pre>
 *
 * <p>Inside a bubble (rules BB1–BB9):
 * <ul>
 *   <li>Every goroutine started with {@link Go} by a member of the bubble is a member too.</li>
 *   <li>{@link Timers} (after, timers, tickers, afterFunc, {@link Timers#sleep}, {@link Timers#now}),
 *       context deadlines and timeouts, select timeouts, timed send/receive and the timed waits of
 *       {@link WaitGroup}, {@link Goroutine#join(java.time.Duration)} and {@link GoFuture} use the bubble's
 *       virtual clock, which starts at 2000-01-01T00:00:00Z. {@code Instant.now()},
 *       {@code System.nanoTime()} and {@code Thread.sleep} are not virtual.</li>
 *   <li>When every member is <em>durably blocked</em> (on channels made in the bubble, a select of
 *       them, a nil channel, a sleep, a {@link WaitGroup} first added to in the bubble, a join of a
 *       goroutine or {@link GoFuture} of the bubble, an {@link ErrGroup} of the bubble, {@link #await()}), the clock jumps to the
 *       next timer at once. A goroutine blocked on anything else (I/O, a lock, a channel made outside,
 *       {@code Thread.sleep}) counts as running, and time waits for it. So does one in
 *       {@link java.util.concurrent.locks.Condition#await()}, unlike Go's {@code sync.Cond.Wait}, which is
 *       durable: any thread may signal a JDK condition and no hook tells the bubble who waits on one (rule
 *       BB28). As in Go's {@code synctest}, the clock stops when {@code body} returns (rule BB39).</li>
 *   <li>When every member is durably blocked and no timer is pending, the bubble fails with a
 *       {@link BubbleDeadlockException} listing each goroutine and what it is blocked on.</li>
 *   <li>Channels and timers made in the bubble belong to it: while it runs, a thread outside it that blocks on
 *       one of its channels or closes it, or stops or resets one of its timers, gets an
 *       {@link IllegalStateException} (rules BB6, BB43, BB44, BB22); use that does not block is not checked
 *       (BB45).</li>
 *   <li>A goroutine of the bubble whose task throws fails the bubble, as a panic fails Go's
 *       {@code synctest.Test}: {@link #run} throws that exception (rule BB17), so an assertion that
 *       fails in a goroutine fails the test.</li>
 * </ul>
 * Go's {@code t.Context()} and {@code t.Cleanup} of {@code synctest.Test} are {@link #context()} and
 * {@link #cleanup}: cancelled, then run, in the bubble when {@code body} returns, before the clock stops (rules
 * BB40, BB41).
 * Bubbles do not nest. Several bubbles may run at once on different threads.
 */
public final class Bubble {
    private Bubble() {}

    /**
     * Runs {@code body} on the calling thread in a new bubble, then waits until every goroutine of the
     * bubble has ended. The clock stops when {@code body} returns, as Go's {@code synctest} stops it when the bubble's
     * root goroutine exits (rule BB39): goroutines still running are waited for, and once every one left is durably
     * blocked, a sleep or a ticker's next tick included, that is a deadlock, thrown as a
     * {@link BubbleDeadlockException} whose message, when a timer is still pending, says the clock stopped because
     * {@code body} returned and names the timer that will never fire. When it
     * returns or throws, their threads have ended too: {@link Goroutines#live()} lists none of them and
     * {@link Goroutine#isAlive()} is false (rule BB18). An afterFunc whose goroutine a member started but whose start
     * failed (no thread could start) is owed: it counts as a running goroutine until a retry, 100 ms of real time
     * later, has started it in the bubble, and this method waits for it too (rule BB29); if even that retry cannot be
     * arranged, the bubble fails at once with that failure (rule BB31). A context made in the bubble under a context
     * made outside it (a test fixture's, say) and still pending at the end leaves that context: nothing of the ended
     * bubble stays registered there, and a later cancel of it no longer reaches the bubble's context (rules BB30,
     * CX21).
     *
     * <p>The end of {@code body}, as Go's {@code synctest.Test} ends its function (rules BB40, BB41). When
     * {@code body} returns or throws, still in the bubble and on the calling thread: the bubble's {@link #context()} is
     * cancelled; then the functions registered with {@link #cleanup} run, the last registered first; then the clock
     * stops and the bubble waits for its goroutines as above. So goroutines that stop when that context is done, or
     * that a cleanup stops, end before the deadlock judgement, and a cleanup may still sleep or wait in virtual time.
     * Each cleanup runs even if {@code body} or an earlier cleanup threw; the first of their failures counts as
     * {@code body}'s own, the others are attached to what this method throws as suppressed.
     *
     * <p>A goroutine's uncaught failure (rule BB17). If the task of a goroutine of the bubble (started
     * with {@link Go#go}, {@link WaitGroup#go}, {@link Timers#afterFunc} or {@link Context#afterFunc})
     * throws while the bubble is live, the bubble fails at once, as on a deadlock: its other goroutines
     * are interrupted, and so is {@code body} if it is still running; once all have ended, this method throws that exception
     * itself, with attached as suppressed what {@code body} threw, a deadlock found meanwhile, and what
     * other goroutines threw later. Such a failure does not reach the uncaught-exception handler: it is
     * the caller's. The bubble is live until it begins to stop: a deadlock, a first goroutine failure,
     * {@code body} throwing, or an interrupt of the caller at the end; a goroutine failure after that
     * is attached to what this method throws instead. A failure caused by an interrupt (an
     * {@link InterruptedException} anywhere in its causes) is a goroutine's answer to being stopped,
     * never the bubble's failure: it goes to the handler, as outside bubbles. Failures of
     * {@link Go#future} and {@link ErrGroup} goroutines belong to their handles and do not count. An
     * exception made with suppression disabled (a lightweight one) keeps nothing attached: if this method
     * throws one, each failure it would have attached goes to the uncaught-exception handler with its
     * goroutine, or, if no goroutine threw it (what {@code body} threw, a deadlock), is logged (rule BB33).
     *
     * @param body the code to run in the bubble
     * @throws BubbleDeadlockException if every goroutine of the bubble was durably blocked with no
     *     timer pending, or, once {@code body} returned, with no timer due at the stopped clock's instant (the
     *     goroutines are interrupted so that they end)
     * @throws IllegalStateException if the calling thread is already in a bubble (bubbles do not nest)
     * @throws InterruptedException if the calling thread is interrupted while it waits, after
     *     {@code body} returned, for the bubble's goroutines to end: they are interrupted, and waited
     *     for a bounded time, before this is thrown (so that JUnit's {@code @Timeout} bounds a goroutine
     *     blocked outside the bubble)
     * @throws Exception the first uncaught failure of a goroutine of the bubble, as itself (see above);
     *     else whatever {@code body} threw (the bubble's goroutines are interrupted then)
     */
    public static void run(Task body) throws Exception {
        Objects.requireNonNull(body, "body");
        if (Bubbles.current() != null) {
            throw new IllegalStateException("Bubble.run inside a bubble: virtual-time bubbles do not nest (BB8)");
        }
        new BubbleState().run(body);
    }

    /**
     * Go's {@code synctest.Wait}: blocks until every other goroutine of the calling goroutine's bubble
     * is durably blocked. Time does not move while it waits. Everything the other goroutines did
     * before they blocked happens-before this method returns.
     *
     * @throws IllegalStateException if the caller is not in a bubble, or another goroutine of the
     *     bubble is in {@code await()} already
     * @throws InterruptedException if the calling thread is interrupted while waiting
     */
    public static void await() throws InterruptedException {
        BubbleState.Member m = Bubbles.current();
        if (m == null) {
            throw new IllegalStateException("Bubble.await() outside a virtual-time bubble");
        }
        m.bubble.awaitOthersBlocked(m);
    }

    /**
     * Go's {@code t.Context()} of {@code synctest.Test}: the calling goroutine's bubble's context, made in the bubble
     * before {@code body} ran (so a wait on its {@link Context#done()} is durable, rule BB2) and cancelled when
     * {@code body} returns or throws, before the {@linkplain #cleanup cleanups} run (rule BB40). A goroutine that
     * runs until this context is done (a ticker loop, a server) thus ends by itself when the test ends, instead of
     * being left durably blocked on a stopped clock, which is a deadlock (rule BB39). It has no deadline and no
     * values; its {@link Context#err()} is then a {@link ContextCanceledException}. Every member of the bubble gets
     * the same context. Derive the code under test's contexts from it.
     *
     * @return the bubble's context, not yet done while {@code body} runs
     * @throws IllegalStateException if the caller is not in a bubble
     */
    public static Context context() {
        BubbleState.Member m = Bubbles.current();
        if (m == null) {
            throw new IllegalStateException("Bubble.context() outside a virtual-time bubble (BB40)");
        }
        return m.bubble.context();
    }

    /**
     * Go's {@code t.Cleanup} of {@code synctest.Test}: registers {@code cleanup} to run in the calling goroutine's
     * bubble once {@code body} has returned or thrown and the bubble's {@link #context()} is cancelled, before the
     * bubble waits for its goroutines and its clock stops (rule BB41). Cleanups run on the thread of
     * {@link #run}, as the bubble's root, the last registered first, whoever registered them: they may stop
     * goroutines, wait for them, sleep and {@link #await()} in virtual time, as {@code body} may. One registered while
     * the cleanups run (by a cleanup or a goroutine) runs next. Each runs even if an earlier one threw; what one
     * throws fails {@link #run} as a failure of {@code body} does (the first of them is thrown, the others are
     * attached to it as suppressed), and the bubble's other goroutines are then interrupted at the end.
     * A JUnit {@code @AfterEach} method cannot do this: it runs outside the bubble, after its end.
     *
     * @param cleanup what to run at the end of {@code body}
     * @throws NullPointerException if {@code cleanup} is null
     * @throws IllegalStateException if the caller is not in a bubble, or the bubble's cleanups have already run (its
     *     goroutines are being waited for): nothing would run it
     */
    public static void cleanup(Task cleanup) {
        Objects.requireNonNull(cleanup, "cleanup");
        BubbleState.Member m = Bubbles.current();
        if (m == null) {
            throw new IllegalStateException("Bubble.cleanup outside a virtual-time bubble (BB41)");
        }
        m.bubble.addCleanup(cleanup);
    }

    /**
     * {@return whether the calling thread runs in a bubble}
     */
    public static boolean inBubble() {
        return Bubbles.current() != null;
    }
}
