package io.gochan.stress.broken;

import io.gochan.CancellableContext;
import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.Go;
import io.gochan.Received;
import io.gochan.Task;
import io.gochan.WaitGroup;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Broken toy models for ChannelContextStress and ErrGroupStress (run by {@code run.sh broken}; must be caught):
 * hand-written algorithms on top of {@code Chan}, not {@code operateOrDone} or the error group, so they are
 * jcstress self-tests, not evidence that those suites can fail (see {@code BrokenTwins}).
 */
public final class BrokenContextTwins {
    private BrokenContextTwins() {}

    @JCStressTest
    @Description("BROKEN toy model for ChannelContextStress.ReceiveRacesSendAndCancel (hand-written, not gochan's core): "
            + "polls, then checks the context after taking a value, and drops it.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "received the value")
    @Outcome(id = "3, 1", expect = Expect.ACCEPTABLE, desc = "cancelled first; the value stays buffered")
    @Outcome(expect = Expect.FORBIDDEN, desc = "value lost (the bug this model has)")
    @State
    public static class BrokenReceiveDropsOnCancel {
        final Chan<Integer> ch = Chan.make(1);
        final CancellableContext ctx = Context.withCancel(Context.background());

        @Actor
        public void receiver(II_Result r) {
            while (true) {
                Received<Integer> got = ch.tryReceive();
                if (ctx.isDone()) { // checked after the take: a value taken here is dropped
                    r.r1 = 3;
                    return;
                }
                if (got.ok()) {
                    r.r1 = 1;
                    return;
                }
                Thread.onSpinWait();
            }
        }

        @Actor
        public void senderThenCanceller() {
            ch.trySend(7);
            ctx.cancel();
        }

        @Arbiter
        public void leftovers(II_Result r) {
            r.r2 = ch.tryReceive().ok() ? 1 : 0;
        }
    }

    /** An "error group" that counts a task done before it records the task's failure. */
    static final class DoneBeforeRecordGroup {
        final WaitGroup wg = new WaitGroup();
        final AtomicReference<Throwable> first = new AtomicReference<>();
        volatile boolean awaited;

        void go(Task task) {
            if (awaited) {
                throw new IllegalStateException("awaited");
            }
            wg.add(1);
            Go.go(() -> {
                try {
                    task.run();
                    wg.done();
                } catch (Throwable t) {
                    wg.done(); // the bug: await may return before the failure below is recorded
                    Thread.yield();
                    first.compareAndSet(null, t);
                }
            });
        }

        void await() throws Exception {
            awaited = true;
            wg.await();
            Throwable t = first.get();
            if (t != null) {
                throw (Exception) t;
            }
        }
    }

    @JCStressTest
    @Description("BROKEN toy model for ErrGroupStress.GoRacesAwait (hand-written, not gochan's core): "
            + "done() before the failure is recorded loses it.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "await threw the failure")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "go refused")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the failure was lost (the bug this model has)")
    @State
    public static class BrokenGroupLosesFailure {
        final DoneBeforeRecordGroup g = new DoneBeforeRecordGroup();
        final IOException boom = new IOException("boom");

        @Actor
        public void starter(II_Result r) {
            try {
                g.go(() -> {
                    throw boom;
                });
                r.r2 = 0;
            } catch (IllegalStateException refused) {
                r.r2 = 1;
            }
        }

        @Actor
        public void awaiter(II_Result r) {
            try {
                g.await();
                r.r1 = 0;
            } catch (Exception e) {
                r.r1 = 1;
            }
        }
    }
}
