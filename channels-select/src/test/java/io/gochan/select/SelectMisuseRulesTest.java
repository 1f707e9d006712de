package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.spi.ChannelCores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The select API under misuse and odd input, as a demanding user tries it: one select run by two
 * threads at once (L12), a handler that runs its own select again or throws, many cases, the same
 * channel in many cases, null and extreme arguments. Probes that found no defect stay as regression
 * tests of the rule they exercise.
 */
@NoGoroutineLeaks
class SelectMisuseRulesTest {
    static final Duration LONG = Duration.ofSeconds(20);

    // ------------------------------------------------------------------ L12: one run at a time

    /** A second thread running a statement that is blocked in another thread's run is refused at once. */
    @Test
    void L12_aStatementRunningOnOneThreadIsRefusedOnAnother() throws Exception {
        Chan<Integer> a = Chan.make();
        Chan<Integer> b = Chan.make(1);
        b.send(41);
        List<Integer> got = new ArrayList<>();
        SelectStatement s = Select.statement().receiveOk(a, r -> got.add(r.closed() ? -1 : r.value()));
        Thread first = Thread.ofVirtual().start(() -> run(s));
        awaitReceivers(a, 1);
        AtomicReference<Throwable> second = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                s.run();
                second.set(new AssertionError("the second run returned"));
            } catch (Throwable e) {
                second.set(e);
            }
        });
        boolean ended = t.join(Duration.ofSeconds(5));
        try {
            assertThat(ended).as("the second run fails at once instead of blocking").isTrue();
            assertThat(second.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("one thread at a time");
            assertThat(ChannelCores.of(a).waitingReceivers()).as("the refused run registered nothing").isEqualTo(1);
            // Adding a case while a run is in progress is refused too: the run reads the case arrays.
            assertThatThrownBy(() -> s.receive(b, v -> { })).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("while it runs");
            assertThat(b.len()).as("the refused case was not added: nothing took b's value").isEqualTo(1);
        } finally {
            a.close(); // ends the first run (and, before the fix, the second one blocked beside it)
            assertThat(first.join(LONG)).isTrue();
            assertThat(t.join(LONG)).isTrue();
        }
        assertThat(got).containsExactly(-1);
        assertThat(waiting(a)).isZero();
    }

    /** Same for the expression forms, Select and Selection. */
    @Test
    void L12_aSelectOrSelectionRunningOnOneThreadIsRefusedOnAnother() throws Exception {
        Chan<Integer> a = Chan.make();
        Select<Integer> sel = Select.<Integer>cases().receive(a, v -> v);
        Selection<Integer, RuntimeException> selection = Select.onReceive(a, (Integer v) -> v);
        for (Object which : List.of(sel, selection)) {
            ConcurrentLinkedQueue<Object> results = new ConcurrentLinkedQueue<>();
            Runnable body = () -> {
                try {
                    results.add(which == sel ? sel.select() : selection.select());
                } catch (Throwable e) {
                    results.add(e);
                }
            };
            Thread first = Thread.ofVirtual().start(body);
            awaitReceivers(a, 1);
            Thread second = Thread.ofVirtual().start(body);
            boolean refusedAtOnce = second.join(Duration.ofSeconds(5));
            a.send(5);
            if (!refusedAtOnce) {
                a.send(6); // before the fix the second run waits beside the first
            }
            assertThat(first.join(LONG)).isTrue();
            assertThat(second.join(LONG)).isTrue();
            assertThat(refusedAtOnce).as("the second run fails at once instead of blocking").isTrue();
            assertThat(results).hasSize(2).contains(5).anySatisfy(r -> assertThat(r)
                    .isInstanceOf(IllegalStateException.class)
                    .extracting(e -> ((Throwable) e).getMessage()).asString().contains("one thread at a time"));
        }
        assertThat(waiting(a)).isZero();
    }

    /**
     * Two threads hammering one statement (misuse): the overlap is refused again and again, each refusal an
     * {@code IllegalStateException} saying why, and both threads get to the channel's close. Detection is best
     * effort (L12: no CAS, whose fence measured a cost on every run), so what the misuse does to the values in the
     * instants it is not seen is not asserted; a statement per thread is the contract.
     */
    @Test
    void L12_twoThreadsHammeringOneStatementAreRefusedOverAndOver() throws Exception {
        int n = 200_000;
        Chan<Integer> ch = Chan.make(1024);
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger closedSeen = new AtomicInteger();
        AtomicInteger unseen = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> message = new java.util.concurrent.atomic.AtomicReference<>();
        SelectStatement s = Select.statement().receiveOk(ch, r -> {
            if (r.closed()) {
                closedSeen.incrementAndGet();
            }
        });
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            workers.add(Thread.ofPlatform().daemon().start(() -> {
                while (closedSeen.get() == 0) {
                    try {
                        s.run();
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                        message.compareAndSet(null, e.getMessage());
                        Thread.onSpinWait();
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        // An overlap not seen may break the run itself (a loaded run: an NPE for a null value in
                        // the dispatch, L12 asserts nothing of those instants); a worker that died of it stopped
                        // draining, and the sender then waited in send() forever. The worker goes on instead.
                        unseen.incrementAndGet();
                    }
                }
            }));
        }
        // The values go on until an overlap was refused (bounded): on a loaded machine the two workers may never
        // run at the same instant while a fixed number of values drains (a loaded run: 0 refused in 200,000). A
        // statement that never refuses an overlap still fails, at the bound.
        long bound = System.nanoTime() + LONG.toNanos();
        for (int i = 0; i < n || (refused.get() == 0 && System.nanoTime() < bound); i++) {
            ch.send(i % n);
        }
        ch.close();
        for (Thread w : workers) {
            assertThat(w.join(LONG)).isTrue();
        }
        assertThat(refused.get()).as("overlapping runs refused (%d runs broken by an overlap not seen)", unseen.get()).isPositive();
        assertThat(message.get()).contains("one thread at a time");
    }

    /** A handler may run its own statement again: the run is over when its handler runs (L12). */
    @Test
    void L12_aHandlerMayRunItsOwnStatementAgain() throws Exception {
        Chan<Integer> ch = Chan.make(8);
        for (int i = 0; i < 5; i++) {
            ch.send(i);
        }
        ch.close();
        List<Integer> got = new ArrayList<>();
        SelectStatement[] self = new SelectStatement[1];
        self[0] = Select.statement().receiveOk(ch, r -> {
            if (!r.closed()) {
                got.add(r.value());
                self[0].run(); // recursion: Go's "loop by calling yourself" shape
            }
        });
        assertThat(self[0].run()).isZero();
        assertThat(got).containsExactly(0, 1, 2, 3, 4);
        // The same for the expression form.
        Chan<Integer> ch2 = Chan.make(3);
        ch2.send(1);
        ch2.send(2);
        ch2.close();
        @SuppressWarnings("unchecked")
        Select<Integer>[] sel = new Select[1];
        sel[0] = Select.<Integer>cases().receiveOk(ch2, r -> r.closed() ? 0 : r.value() + sel[0].select());
        assertThat(sel[0].select()).isEqualTo(3);
    }

    /** A Select built once runs any number of times, one run after the other (its javadoc; L1 each time). */
    @Test
    void L1_aSelectBuiltOnceRunsAgainAndAgain() throws Exception {
        Chan<Integer> ch = Chan.make(2);
        Select<Integer> sel = Select.<Integer>cases().receive(ch, v -> v * 10).orElse(() -> -1);
        ch.send(1);
        ch.send(2);
        assertThat(sel.select()).isEqualTo(10);
        assertThat(sel.select()).isEqualTo(20);
        assertThat(sel.select()).isEqualTo(-1);
    }

    // ------------------------------------------------------------------ handlers that throw

    /**
     * A handler's exception propagates as itself (L11); the chosen value was taken exactly once and is
     * not re-delivered; the select's other registrations are gone (L6); the select runs again normally.
     */
    @Test
    void L6_aThrowingHandlerLeavesTheValueTakenOnceAndNothingRegistered() throws Exception {
        Chan<Integer> a = Chan.make();
        Chan<Integer> b = Chan.make(1);
        Chan<Integer> c = Chan.make();
        RuntimeException boom = new IllegalStateException("boom");
        AtomicInteger calls = new AtomicInteger();
        SelectStatement s = Select.statement()
                .receive(a, v -> { calls.incrementAndGet(); throw boom; })
                .receive(b, v -> { })
                .send(c, 9, () -> { });
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                s.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        awaitReceivers(a, 1);
        a.send(1);
        assertThat(t.join(LONG)).isTrue();
        assertThat(thrown.get()).isSameAs(boom);
        assertThat(calls).hasValue(1);
        assertThat(waiting(a) + waiting(b) + waiting(c)).isZero();
        assertThat(a.tryReceive().notReady()).isTrue();
        b.send(2);
        assertThat(s.run()).as("runs again after the failure").isEqualTo(1);
    }

    // ------------------------------------------------------------------ size and odd input

    /** A thousand cases on a thousand channels: the one that gets a value fires; every other registration is removed (L6). */
    @Test
    void L6_aThousandCasesFireOnceAndLeaveNothingBehind() throws Exception {
        List<Chan<Integer>> chans = new ArrayList<>();
        SelectStatement s = Select.statement();
        AtomicReference<Integer> got = new AtomicReference<>();
        for (int i = 0; i < 1000; i++) {
            Chan<Integer> ch = Chan.make(i % 3 == 0 ? 0 : 1);
            chans.add(ch);
            s.receive(ch, got::set);
        }
        AtomicInteger chosen = new AtomicInteger(-99);
        Thread t = Thread.ofVirtual().start(() -> chosen.set(run(s)));
        awaitReceivers(chans.get(999), 1);
        chans.get(777).send(42);
        assertThat(t.join(LONG)).isTrue();
        assertThat(chosen).hasValue(777);
        assertThat(got).hasValue(42);
        assertThat(chans.stream().mapToInt(SelectMisuseRulesTest::waiting).sum()).isZero();
    }

    /**
     * One unbuffered channel in 500 send and 500 receive cases: no case meets another of the same select
     * (L7), a partner completes exactly one, and all 1000 registrations are removed.
     */
    @Test
    void L7_oneChannelInAThousandCasesNeverMeetsItself() throws Exception {
        Chan<Integer> u = Chan.make();
        SelectStatement s = Select.statement();
        for (int i = 0; i < 500; i++) {
            s.send(u, i, () -> { });
            s.receive(u, v -> { });
        }
        assertThat(Select.statement().send(u, 1, null).receive(u, null).orElse(null).run()).isEqualTo(SelectStatement.DEFAULT);
        AtomicInteger chosen = new AtomicInteger(-99);
        Thread t = Thread.ofVirtual().start(() -> chosen.set(run(s)));
        awaitReceivers(u, 500);
        awaitSenders(u, 500);
        int v = u.receive();
        assertThat(t.join(LONG)).isTrue();
        assertThat(chosen.get()).isEqualTo(2 * v);
        assertThat(waiting(u)).isZero();
    }

    /**
     * Null where the API allows it: a null channel disables its case (N1), a null handler does nothing
     * (the case still fires). Null where it does not: a send value, a timeout, a context, a random
     * source each throw NullPointerException when the case is added, naming the argument, and the select
     * is unchanged (C3).
     */
    @Test
    void C3_nullArgumentsOfASelectAreRefusedWhenAddedAndChangeNothing() throws Exception {
        Chan<Integer> ch = Chan.make(1);
        SelectStatement s = Select.statement().receive(ch, null);
        assertThatThrownBy(() -> s.send(ch, null, () -> { })).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("null is not a channel value");
        assertThatThrownBy(() -> s.timeout(null, () -> { })).isInstanceOf(NullPointerException.class).hasMessage("timeout");
        assertThatThrownBy(() -> s.done(null, () -> { })).isInstanceOf(NullPointerException.class).hasMessage("ctx");
        assertThatThrownBy(() -> s.random(null)).isInstanceOf(NullPointerException.class).hasMessage("random");
        assertThatThrownBy(() -> Select.<Integer>cases().send(ch, null, () -> 1)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Select.onSend(ch, null, () -> 1)).isInstanceOf(NullPointerException.class);
        assertThat(ch.len()).isZero();
        ch.send(3);
        assertThat(s.toString()).isEqualTo("select { receive from " + ChannelCores.of(ch).describe() + " }");
        assertThat(s.receive(null, v -> { }).run()).as("the null-handler case fired, taking the value").isZero();
        assertThat(ch.len()).isZero();
    }

    /**
     * Timeouts at the edges (L8): zero and negative fire at once when nothing is ready (the select
     * never blocks); a ready case still wins over them; the largest Duration means "practically never",
     * not an overflow into the past.
     */
    @Test
    void L8_zeroNegativeAndHugeTimeouts() throws Exception {
        Chan<Integer> ch = Chan.make(1);
        for (Duration d : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(Long.MIN_VALUE))) {
            assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(d, () -> "t").select()).isEqualTo("t");
            ch.send(1);
            assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(d, () -> "t").select()).isEqualTo("v");
        }
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
        AtomicReference<String> r = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                r.set(Select.<String>cases().receive(ch, v -> "v" + v).timeout(huge, () -> "t").select());
            } catch (InterruptedException e) {
                r.set("interrupted");
            }
        });
        awaitReceivers(ch, 1);
        ch.send(2);
        assertThat(t.join(LONG)).isTrue();
        assertThat(r.get()).isEqualTo("v2");
    }

    // ------------------------------------------------------------------ L16: many cases

    /**
     * Many cases in any order (L16): the locks of a select are taken in the order of its channels' ids, and that order
     * was found by an insertion sort, quadratic when the cases came in the reverse order of their channels' making
     * (20,000 such cases: 0.7 s a run, where the order of making took 20 ms). 200,000 cases made in reverse, with a
     * repeated channel among them, now run within a bound that the quadratic sort missed by two minutes (2 min 19 s; now under a second).
     */
    @Test
    void L16_twoHundredThousandCasesInReverseOrderRunInBoundedTime() throws Exception {
        int n = 200_000;
        List<Chan<Integer>> chans = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            chans.add(Chan.make(1));
        }
        AtomicReference<Integer> got = new AtomicReference<>();
        SelectStatement reversed = Select.statement();
        for (int i = n - 1; i >= 0; i--) {
            reversed.receive(chans.get(i), got::set);
        }
        reversed.receive(chans.get(n / 2), got::set).timeout(Duration.ZERO, null); // a repeated channel: locked once (L7)
        long start = System.nanoTime();
        // Nothing is ready: the run locks every channel (in id order), polls them all and takes the timeout (L14).
        assertThat(reversed.run()).isEqualTo(SelectStatement.TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).as("one run of %d cases made in reverse", n).isLessThan(LONG);
        chans.get(n / 2).send(7);
        assertThat(reversed.run()).isIn(n - 1 - n / 2, n);
        assertThat(got).hasValue(7);
        assertThat(chans.get(n / 2).len()).isZero();
    }

    /**
     * The sort for many cases (L16) in a select that waits: cases in a random order, many of them on the same channels,
     * disabled ones among them; each run is completed by the one partner that sends, on the case of its channel (L7),
     * and leaves no registration behind (L6). A channel locked twice would deadlock the run (its lock is not reentrant).
     */
    @Test
    void L16_aWaitingSelectOfManyCasesOnRepeatedChannelsLocksEachOnce() throws Exception {
        List<Chan<Integer>> chans = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            chans.add(Chan.make(i % 2));
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(16);
        List<Integer> caseChannel = new ArrayList<>();
        SelectStatement s = Select.statement();
        AtomicReference<Integer> got = new AtomicReference<>();
        for (int i = 0; i < 300; i++) {
            int c = random.nextInt(chans.size() + 1);
            caseChannel.add(c);
            s.receive(c == chans.size() ? null : chans.get(c), got::set);
        }
        for (int round = 0; round < 20; round++) {
            int target = caseChannel.get(random.nextInt(caseChannel.size()));
            if (target == chans.size()) {
                continue;
            }
            AtomicInteger chosen = new AtomicInteger(-99);
            Thread t = Thread.ofVirtual().start(() -> chosen.set(run(s)));
            awaitReceivers(chans.get(target), 1);
            chans.get(target).send(round);
            assertThat(t.join(LONG)).isTrue();
            assertThat(caseChannel.get(chosen.get())).isEqualTo(target);
            assertThat(got).hasValue(round);
            assertThat(chans.stream().mapToInt(SelectMisuseRulesTest::waiting).sum()).isZero();
        }
    }

    // ------------------------------------------------------------------ L17: a run that fails

    /**
     * A handler's exception, InterruptedException included, is thrown as itself after its case happened (L17): the
     * value its receive case took is gone from the channel and handed to nobody else, a send case's value was
     * received exactly once. So an InterruptedException from a run does not always mean that no case happened.
     */
    @Test
    void L17_aHandlerThatThrowsHadItsCaseAndItsValueIsNotPutBack() throws Exception {
        InterruptedException mine = new InterruptedException("the handler's own");
        Chan<Integer> ch = Chan.make(2);
        ch.send(1);
        List<Integer> seen = new ArrayList<>();
        SelectStatement s = Select.statement().receive(ch, v -> {
            seen.add(v);
            throw mine;
        }).orElse(null);
        assertThatThrownBy(s::run).isSameAs(mine);
        assertThat(seen).containsExactly(1);
        assertThat(ch.len()).as("the value taken is the handler's: not put back").isZero();
        assertThat(s.run()).as("and not handed to the next run").isEqualTo(SelectStatement.DEFAULT);
        assertThat(Thread.currentThread().isInterrupted()).isFalse();
        // A send case whose handler throws: the value was sent, once.
        Chan<Integer> u = Chan.make();
        ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
        Thread receiver = Thread.ofVirtual().start(() -> {
            try {
                received.add(u.receive());
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        awaitReceivers(u, 1);
        Select<String> send = Select.<String>cases().send(u, 5, () -> {
            throw mine;
        });
        assertThatThrownBy(send::select).isSameAs(mine);
        assertThat(receiver.join(LONG)).isTrue();
        assertThat(received).containsExactly(5);
        // A checked exception of a Selection: the same.
        java.io.IOException disk = new java.io.IOException("disk full");
        ch.send(2);
        Selection<String, java.io.IOException> io = Select.onReceive(ch, v -> {
            throw disk;
        });
        assertThatThrownBy(io::select).isSameAs(disk);
        assertThat(ch.len()).isZero();
    }

    /**
     * A run ended by an exception leaves its select as it was (L17): after an interrupt while waiting, a send case on a
     * channel closed while it waited, a plain receive case on a closed channel and a context's error, the same select
     * runs again normally, nothing of the failed runs registered, and cases added after a run take part in the next.
     */
    @Test
    void L17_aSelectRunsAgainAfterEveryKindOfFailedRun() throws Exception {
        Chan<Integer> a = Chan.make();
        Chan<Integer> out = Chan.make();
        io.gochan.CancellableContext ctx = io.gochan.Context.withCancel(io.gochan.Context.background());
        Select<String> sel = Select.<String>cases().receive(a, v -> "a" + v).send(out, 1, () -> "sent");
        // Interrupted while waiting.
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread t = Thread.ofVirtual().start(() -> outcome.set(attempt(sel)));
        awaitReceivers(a, 1);
        t.interrupt();
        assertThat(t.join(LONG)).isTrue();
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        assertThat(waiting(a) + waiting(out)).isZero();
        // Runs again: a value on a.
        t = Thread.ofVirtual().start(() -> outcome.set(attempt(sel)));
        awaitReceivers(a, 1);
        a.send(3);
        assertThat(t.join(LONG)).isTrue();
        assertThat(outcome.get()).isEqualTo("a3");
        // A send case whose channel closes while the select waits.
        t = Thread.ofVirtual().start(() -> outcome.set(attempt(sel)));
        awaitSenders(out, 1);
        out.close();
        assertThat(t.join(LONG)).isTrue();
        assertThat(outcome.get()).isInstanceOf(io.gochan.ChannelClosedException.class);
        assertThat(waiting(a)).isZero();
        // A case added after the failed runs takes part: a plain receive on a closed channel, then a context's error.
        Chan<Integer> closed = Chan.make();
        closed.close();
        Select<String> more = Select.<String>cases().receive(a, v -> "a" + v).receive(closed, v -> "closed?");
        assertThat(attempt(more)).isInstanceOf(io.gochan.ChannelClosedException.class);
        Select<String> withCtx = Select.<String>cases().receive(a, v -> "a" + v).done(ctx);
        ctx.cancel();
        assertThat(attempt(withCtx)).isInstanceOf(java.util.concurrent.CancellationException.class);
        withCtx.orElse(() -> "default");
        Chan<Integer> b = Chan.make(1);
        b.send(4);
        withCtx.receive(b, v -> "b" + v);
        // The cancelled context stays ready: the added case competes with it (L2), each run one of the two.
        java.util.Set<Object> outcomes = new java.util.HashSet<>();
        for (int i = 0; i < 200 && outcomes.size() < 2; i++) {
            Object o = attempt(withCtx);
            outcomes.add(o instanceof java.util.concurrent.CancellationException ? "cancelled" : o);
            if ("b4".equals(o)) {
                b.send(4);
            }
        }
        assertThat(outcomes).containsExactlyInAnyOrder("b4", "cancelled");
        assertThat(waiting(a) + waiting(b)).isZero();
    }

    // ------------------------------------------------------------------ L18: odd shapes

    /**
     * Selects of odd shapes (L18): no case at all, or only disabled ones, with a default, a timeout, both or neither; a
     * default beside a timeout; several timeouts; a second default.
     */
    @Test
    void L18_oddShapesOfASelect() throws Exception {
        for (boolean disabled : new boolean[] {false, true}) {
            java.util.function.Supplier<SelectStatement> none = () -> disabled
                    ? Select.statement().receive(null, null).send(Chan.<Integer>nil(), 1, null).receiveOk(Chan.nil(), null)
                    : Select.statement();
            assertThat(none.get().orElse(null).run()).isEqualTo(SelectStatement.DEFAULT);
            assertThat(none.get().timeout(Duration.ZERO, null).run()).isEqualTo(SelectStatement.TIMEOUT);
            assertThat(none.get().timeout(Duration.ofMillis(1), null).run()).isEqualTo(SelectStatement.TIMEOUT);
            // Neither: Go's select {}, waits until interrupted (L5), also with a timeout of ~292 years.
            for (Duration d : new Duration[] {null, Duration.ofSeconds(Long.MAX_VALUE)}) {
                SelectStatement forever = none.get();
                if (d != null) {
                    forever.timeout(d, null);
                }
                AtomicReference<Object> outcome = new AtomicReference<>();
                Thread t = Thread.ofVirtual().start(() -> {
                    try {
                        outcome.set(forever.run());
                    } catch (Throwable e) {
                        outcome.set(e);
                    }
                });
                SelectRulesTest.awaitTrue(() -> t.getState() == Thread.State.WAITING
                        || t.getState() == Thread.State.TIMED_WAITING, "the select waits");
                t.interrupt();
                assertThat(t.join(LONG)).isTrue();
                assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            }
        }
        // A default beside a timeout: the default fires, the timeout never, in either order, whatever the timeout.
        Chan<Integer> ch = Chan.make(1);
        for (Duration d : List.of(Duration.ZERO, Duration.ofNanos(-5), Duration.ofMillis(1), Duration.ofSeconds(Long.MAX_VALUE))) {
            assertThat(Select.<String>cases().receive(ch, v -> "v").timeout(d, () -> "t").orElse(() -> "d").select()).isEqualTo("d");
            assertThat(Select.<String>cases().orElse(() -> "d").timeout(d, () -> "t").receive(ch, v -> "v").select()).isEqualTo("d");
        }
        // Several timeouts: the shortest counts, the first given among equal ones.
        assertThat(Select.<String>cases().timeout(Duration.ofMillis(2), () -> "first").timeout(Duration.ofMillis(2), () -> "second")
                .select()).isEqualTo("first");
        assertThat(Select.<String>cases().timeout(LONG, () -> "long").timeout(Duration.ZERO, () -> "short").select()).isEqualTo("short");
        assertThat(Select.<String>cases().timeout(Duration.ZERO, () -> "short").timeout(LONG, () -> "long").select()).isEqualTo("short");
        // A second default is refused, and the first stays.
        Select<String> once = Select.<String>cases().orElse(() -> "first");
        assertThatThrownBy(() -> once.orElse(() -> "second")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at most one default");
        assertThat(once.select()).isEqualTo("first");
    }

    /**
     * A run entered with the interrupt flag set (L18, I1): one that need not wait (a ready receive or send case, a
     * closed channel's receiveOk case, a default) completes and leaves the flag set, as Go has no interrupt to see;
     * one that would wait throws InterruptedException at once, clears the flag and takes nothing.
     */
    @Test
    void L18_aRunEnteredWithTheFlagSetWaitsForNothingAndKeepsIt() throws Exception {
        Chan<Integer> buffered = Chan.make(1);
        Chan<Integer> room = Chan.make(1);
        Chan<Integer> closed = Chan.make();
        closed.close();
        Chan<Integer> empty = Chan.make();
        List<String> got = new ArrayList<>();
        try {
            buffered.send(1);
            Thread.currentThread().interrupt();
            assertThat(Select.<String>cases().receive(buffered, v -> "v" + v).receive(empty, v -> "e").select()).isEqualTo("v1");
            assertThat(Thread.currentThread().isInterrupted()).as("the flag stays set").isTrue();
            assertThat(Select.<String>cases().send(room, 2, () -> "sent").receive(empty, v -> "e").select()).isEqualTo("sent");
            assertThat(room.len()).isEqualTo(1);
            assertThat(Select.statement().receiveOk(closed, r -> got.add("closed " + r.closed())).receive(empty, null).run()).isZero();
            assertThat(got).containsExactly("closed true");
            assertThat(Select.statement().receive(empty, null).orElse(null).run()).isEqualTo(SelectStatement.DEFAULT);
            assertThat(Thread.currentThread().isInterrupted()).as("the flag stays set").isTrue();
            // Would wait (room is full now, nothing on empty): throws at once, clears the flag, sends nothing.
            assertThatThrownBy(() -> Select.statement().send(room, 3, null).receive(empty, null).timeout(LONG, null).run())
                    .isInstanceOf(InterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).as("cleared by the InterruptedException").isFalse();
            assertThat(room.receive()).isEqualTo(2);
            assertThat(room.len()).isZero();
            assertThat(waiting(room) + waiting(empty)).isZero();
        } finally {
            Thread.interrupted();
        }
    }

    // ------------------------------------------------------------------ L19: toString

    /**
     * A select's description (L19), part of every L12 refusal: no stray separator when it has no case ("select {;
     * timeout ...}" before), and a select of thousands of cases names its first 16 and counts the rest (a refusal's
     * message of 20,000 cases was about a megabyte).
     */
    @Test
    void L19_aSelectDescribesItselfBriefly() {
        assertThat(Select.statement().toString()).isEqualTo("select { }");
        assertThat(Select.statement().timeout(Duration.ZERO, null).orElse(null).toString())
                .isEqualTo("select { timeout 0ns; default }");
        assertThat(Select.<String>cases().orElse(null).toString()).isEqualTo("select { default }");
        Chan<Integer> ch = Chan.make();
        String one = "receive from " + ChannelCores.of(ch).describe();
        assertThat(Select.statement().receive(ch, null).orElse(null).toString()).isEqualTo("select { " + one + "; default }");
        SelectStatement many = Select.statement();
        for (int i = 0; i < 20_000; i++) {
            many.receive(ch, null);
        }
        String description = many.timeout(Duration.ofSeconds(1), null).toString();
        assertThat(description).startsWith("select { " + one + "; " + one)
                .endsWith("; and 19984 more cases; timeout 1000000000ns }")
                .hasSizeLessThan(16 * (one.length() + 2) + 100);
    }

    // ------------------------------------------------------------------ helpers

    private static int run(SelectStatement s) {
        try {
            return s.run();
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        } catch (io.gochan.ChannelClosedException e) {
            return -3;
        }
    }

    /** One run of {@code sel}: its result, or what it threw. */
    private static Object attempt(Select<String> sel) {
        try {
            return sel.select();
        } catch (Throwable e) {
            return e;
        }
    }

    static int waiting(Chan<?> ch) {
        return SelectRulesTest.waiting(ch);
    }

    static void awaitReceivers(Chan<?> ch, int n) {
        SelectRulesTest.awaitReceivers(ch, n);
    }

    static void awaitSenders(Chan<?> ch, int n) {
        SelectRulesTest.awaitTrue(() -> ChannelCores.of(ch).waitingSenders() >= n, n + " senders on " + ch);
    }
}
