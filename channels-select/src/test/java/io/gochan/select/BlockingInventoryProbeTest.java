package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The select API's part of the inventory of blocking operations (I8; the channels module's class of the same name
 * holds the rest): every blocking entry ({@link Select#select()}, {@link Selection#select()},
 * {@link SelectStatement#run()}), with a receive case and a send case, without a timeout and with the longest ones,
 * on a platform and on a virtual thread, interrupted while it waits and called with the flag set: it throws
 * {@link InterruptedException}, clears the flag, and takes or sends nothing (the value is still in the channel). The
 * timeouts at the extremes (I7): zero, negative, 1 ns and {@code Duration.ofSeconds(Long.MIN_VALUE)} fire at once,
 * also with the flag set, which they leave set (I5, L18). A handler that blocks is the program's code: its
 * interrupt propagates after its case happened (L17).
 */
@NoGoroutineLeaks
class BlockingInventoryProbeTest {
    static final Duration MAX_NANOS = Duration.ofNanos(Long.MAX_VALUE);
    static final Duration MAX_SECONDS = Duration.ofSeconds(Long.MAX_VALUE);

    /** One select shape, set up to wait on {@code ch}: a receive from an empty one, or a send to a full one. */
    record Probe(Callable<?> call, Chan<Integer> ch, boolean full) {}

    interface Setup {
        Probe make();
    }

    /** What the select's form is: how a case of each kind is added and the select run. */
    enum Form {
        SELECT, SELECTION, STATEMENT
    }

    static Probe probe(Form form, boolean send, Duration timeout) throws InterruptedException {
        Chan<Integer> ch = Chan.make(1);
        if (send) {
            ch.send(1);
        }
        Callable<?> call = switch (form) {
            case SELECT -> {
                Select<String> s = Select.cases();
                s = send ? s.send(ch, 2, () -> "sent") : s.receive(ch, v -> "got " + v);
                if (timeout != null) {
                    s.timeout(timeout, () -> "timed out");
                }
                yield (Callable<String>) s::select;
            }
            case SELECTION -> {
                Selection<String, RuntimeException> s = send ? Select.onSend(ch, 2, () -> "sent")
                        : Select.onReceive(ch, v -> "got " + v);
                if (timeout != null) {
                    s.timeout(timeout, () -> "timed out");
                }
                yield (Callable<String>) s::select;
            }
            case STATEMENT -> {
                SelectStatement s = Select.statement();
                s = send ? s.send(ch, 2, () -> { }) : s.receive(ch, v -> { });
                if (timeout != null) {
                    s.timeout(timeout, () -> { });
                }
                yield (Callable<Integer>) s::run;
            }
        };
        return new Probe(call, ch, send);
    }

    static Stream<Arguments> inventory() {
        List<Arguments> all = new ArrayList<>();
        for (Form form : Form.values()) {
            for (boolean send : new boolean[] {false, true}) {
                for (Duration timeout : new Duration[] {null, MAX_NANOS, MAX_SECONDS}) {
                    for (boolean virtual : new boolean[] {true, false}) {
                        all.add(Arguments.of(form + (send ? " send" : " receive") + (timeout == null ? "" : " timeout " + timeout),
                                (Setup) () -> {
                                    try {
                                        return probe(form, send, timeout);
                                    } catch (InterruptedException e) {
                                        throw new AssertionError(e);
                                    }
                                }, virtual));
                    }
                }
            }
        }
        // Two channels, one disabled case and a context's done case: the cases' registrations all come off.
        for (boolean virtual : new boolean[] {true, false}) {
            all.add(Arguments.of("SELECT receive, nil, done(ctx), timeout MAX s", (Setup) () -> {
                Chan<Integer> ch = Chan.make(1);
                CancellableContext ctx = Context.withCancel(Context.background());
                Select<String> s = Select.<String>cases().receive(ch, v -> "got " + v).receive(Chan.nil(), v -> "nil")
                        .done(ctx, () -> "done").timeout(MAX_SECONDS, () -> "timed out");
                return new Probe(() -> {
                    try {
                        return s.select();
                    } finally {
                        ctx.cancel();
                    }
                }, ch, false);
            }, virtual));
        }
        return all.stream();
    }

    /** What one run saw: the exception and the interrupt flag once the call returned. */
    record Outcome(Object returned, Throwable thrown, boolean flagAfter) {}

    static Outcome run(Probe p, boolean virtual, boolean flagOnEntry) throws Exception {
        return run(p, virtual, flagOnEntry, !flagOnEntry);
    }

    /** Runs the probe's call on a new thread; with {@code interrupt}, interrupts it once it waits. */
    static Outcome run(Probe p, boolean virtual, boolean flagOnEntry, boolean interrupt) throws Exception {
        AtomicReference<Outcome> out = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        Runnable r = () -> {
            Object returned = null;
            Throwable thrown = null;
            if (flagOnEntry) {
                Thread.currentThread().interrupt();
            }
            try {
                returned = p.call().call();
            } catch (Throwable t) {
                thrown = t;
            }
            out.set(new Outcome(returned, thrown, Thread.interrupted()));
            done.countDown();
        };
        Thread t = virtual ? Thread.ofVirtual().start(r) : Thread.ofPlatform().daemon().start(r);
        try {
            if (interrupt) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
                    assertThat(System.nanoTime() - deadline).as("%s waits", t).isNegative();
                    assertThat(done.getCount()).as("the select waits (it returned: %s)", out.get()).isOne();
                    LockSupport.parkNanos(100_000);
                }
                t.interrupt();
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).as("returned promptly once interrupted").isTrue();
        } finally {
            t.join(Duration.ofSeconds(30));
        }
        return out.get();
    }

    static void assertNothingMoved(Outcome o, Probe p) {
        assertThat(o.thrown()).as("returned %s", o.returned()).isInstanceOf(InterruptedException.class);
        assertThat(o.flagAfter()).as("the flag, cleared with InterruptedException").isFalse();
        assertThat(ChannelCores.of(p.ch()).waitingReceivers() + ChannelCores.of(p.ch()).waitingSenders())
                .as("no registration left (L6, I3)").isZero();
        if (p.full()) {
            assertThat(p.ch().tryReceive().value()).as("the buffered value, once").isEqualTo(1);
        }
        assertThat(p.ch().tryReceive().notReady()).as("nothing sent").isTrue();
        p.ch().trySend(7); // a value now is the channel's, for the next receiver: the select took nothing
        assertThat(p.ch().tryReceive().value()).isEqualTo(7);
    }

    @ParameterizedTest(name = "{0}, virtual: {2}")
    @MethodSource("inventory")
    void I8_aSelectInterruptedWhileItWaitsThrowsAndMovesNothing(String name, Setup setup, boolean virtual) throws Exception {
        Probe p = setup.make();
        assertNothingMoved(run(p, virtual, false), p);
    }

    @ParameterizedTest(name = "{0}, virtual: {2}")
    @MethodSource("inventory")
    void I8_aSelectEnteredWithTheFlagSetThatMustWaitThrowsAtOnceAndMovesNothing(String name, Setup setup, boolean virtual)
            throws Exception {
        Probe p = setup.make();
        assertNothingMoved(run(p, virtual, true), p);
    }

    static Stream<Arguments> timeUp() {
        List<Arguments> all = new ArrayList<>();
        for (Form form : Form.values()) {
            for (boolean send : new boolean[] {false, true}) {
                for (Duration d : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofNanos(1), Duration.ofSeconds(Long.MIN_VALUE))) {
                    for (boolean flag : new boolean[] {false, true}) {
                        all.add(Arguments.of(form, send, d, flag));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0}, send: {1}, timeout {2}, flag on entry: {3}")
    @MethodSource("timeUp")
    void I7_aTimeoutWhoseTimeIsUpFiresWithoutWaitingAndKeepsTheFlag(Form form, boolean send, Duration d, boolean flag)
            throws Exception {
        Probe p = probe(form, send, d);
        // 1 ns may still be ahead when the run starts: then the select waits that long, which a flag already set
        // stops with InterruptedException (the documented "one that would wait throws at once", L18).
        boolean mayWait = d.isPositive();
        Outcome o = run(p, true, flag, false);
        if (mayWait && flag && o.thrown() != null) {
            assertNothingMoved(o, p);
            return;
        }
        assertThat(o.thrown()).isNull();
        assertThat(o.returned()).isEqualTo(form == Form.STATEMENT ? (Object) SelectEngine.TIMEOUT : "timed out");
        assertThat(o.flagAfter()).as("the flag as it was (I5)").isEqualTo(flag);
        if (send) {
            assertThat(p.ch().tryReceive().value()).isEqualTo(1);
        }
        assertThat(p.ch().tryReceive().notReady()).isTrue();
    }

    @ParameterizedTest(name = "virtual: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void L17_aHandlerInterruptedWhileItBlocksThrowsAfterItsCaseHappened(boolean virtual) throws Exception {
        Chan<Integer> ch = Chan.make(1);
        Chan<Integer> never = Chan.make();
        ch.send(1);
        AtomicReference<Integer> taken = new AtomicReference<>();
        Select<String> s = Select.<String>cases().receive(ch, v -> {
            taken.set(v);
            never.receive(); // the handler's own wait: an interrupt here is the handler's exception
            return "unreachable";
        }).timeout(MAX_SECONDS, () -> "timed out");
        Outcome o = run(new Probe(s::select, never, false), virtual, false);
        assertThat(o.thrown()).isInstanceOf(InterruptedException.class);
        assertThat(o.flagAfter()).isFalse();
        assertThat(taken.get()).as("the case happened: its value is the handler's (L17)").isEqualTo(1);
        assertThat(ch.tryReceive().notReady()).as("not put back").isTrue();
        assertThat(ChannelCores.of(never).waitingReceivers()).isZero();
    }
}
