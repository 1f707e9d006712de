package io.gochan.stress;

import io.gochan.CancellableContext;
import io.gochan.Context;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/** A context's err() and done() change together (CX1), observed in both orders while a cancel races. */
public final class ContextStress {
    /** Bounded polling by the observer (the suites' broken twin polls the same way). */
    static final int SPINS = 200;

    private ContextStress() {}

    @JCStressTest
    @Description("CX1: a thread that sees err() non-null finds done() closed.")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "not cancelled yet: err null, done open")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "cancelled between the two reads")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "cancelled: err set, done closed")
    @Outcome(id = "1, 0", expect = Expect.FORBIDDEN, desc = "err set while done still open")
    @State
    public static class ErrThenDone {
        final CancellableContext ctx = Context.withCancel(Context.background());

        @Actor
        public void canceller() {
            ctx.cancel();
        }

        @Actor
        public void observer(II_Result r) {
            // Watch err for a while, so the check of done lands right after err changes.
            boolean err = false;
            for (int i = 0; i < SPINS && !err; i++) {
                err = ctx.err() != null;
            }
            r.r1 = err ? 1 : 0;
            r.r2 = ctx.done().tryReceive().closed() ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("CX1: a thread that sees done() closed finds err() non-null.")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "not cancelled yet")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "cancelled between the two reads")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "cancelled: done closed, err set")
    @Outcome(id = "1, 0", expect = Expect.FORBIDDEN, desc = "done closed while err still null")
    @State
    public static class DoneThenErr {
        final CancellableContext ctx = Context.withCancel(Context.background());

        @Actor
        public void canceller() {
            ctx.cancel();
        }

        @Actor
        public void observer(II_Result r) {
            boolean closed = false;
            for (int i = 0; i < SPINS && !closed; i++) {
                closed = ctx.done().tryReceive().closed();
            }
            r.r1 = closed ? 1 : 0;
            r.r2 = ctx.err() != null ? 1 : 0;
        }
    }

    /** A root, a child with siblings the cancel walks before or after, and a grandchild under it. */
    static CancellableContext grandchildOf(CancellableContext root) {
        CancellableContext child = Context.withCancel(root);
        for (int i = 0; i < 8; i++) {
            Context.withCancel(child);
        }
        return Context.withCancel(child);
    }

    @JCStressTest
    @Description("CX4: a thread that sees a context's err() non-null finds its descendants' err() non-null.")
    @Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "the observer looked before the cancel")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "the root looked at before the cancel, the grandchild after")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "the root's err seen, the grandchild done too")
    @Outcome(id = "1, 0", expect = Expect.FORBIDDEN, desc = "the root's err seen while the grandchild is still live")
    @State
    public static class ErrThenDescendantErr {
        final CancellableContext root = Context.withCancel(Context.background());
        final CancellableContext grandchild = grandchildOf(root);

        @Actor
        public void canceller() {
            root.cancel();
        }

        @Actor
        public void observer(II_Result r) {
            boolean err = false;
            for (int i = 0; i < SPINS && !err; i++) {
                err = root.err() != null;
            }
            r.r1 = err ? 1 : 0;
            r.r2 = grandchild.err() != null ? 1 : 0;
        }
    }

    @JCStressTest
    @Description("CX4: whichever of two racing cancels loses, it returns only once the descendants are done.")
    @Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "both cancels returned with the grandchild done")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a cancel returned while the grandchild was still live")
    @State
    public static class LosingCancelReturnsAfterDescendants {
        final CancellableContext root = Context.withCancel(Context.background());
        final CancellableContext grandchild = grandchildOf(root);

        @Actor
        public void first(II_Result r) {
            root.cancel();
            r.r1 = grandchild.err() != null ? 1 : 0;
        }

        @Actor
        public void second(II_Result r) {
            root.cancel();
            r.r2 = grandchild.err() != null ? 1 : 0;
        }
    }
}
