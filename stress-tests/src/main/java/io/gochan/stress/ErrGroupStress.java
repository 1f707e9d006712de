package io.gochan.stress;

import io.gochan.ErrGroup;
import java.io.IOException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/** An ErrGroup's first failure racing completion and await (EG1–EG3): never lost, cause and suppression consistent. */
public final class ErrGroupStress {
    private ErrGroupStress() {}

    static void start(ErrGroup g, String message) {
        try {
            g.go(() -> {
                throw new IOException(message);
            });
        } catch (InterruptedException e) {
            throw new IllegalStateException("unexpected interrupt", e); // no limit: go() never waits
        }
    }

    @JCStressTest
    @Description("EG1, EG2: go() of a failing task racing await(): either await sees the failure, or go() is refused.")
    @Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "started before await collected: await threw the failure")
    @Outcome(id = "0, 1", expect = Expect.ACCEPTABLE, desc = "await collected first: go() refused, nothing ran")
    @Outcome(expect = Expect.FORBIDDEN, desc = "the failure was lost (started, await returned normally), or worse")
    @State
    public static class GoRacesAwait {
        final ErrGroup g = ErrGroup.create();
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
            } catch (InterruptedException e) {
                r.r2 = 9;
            }
        }

        @Actor
        public void awaiter(II_Result r) {
            try {
                g.await();
                r.r1 = 0;
            } catch (IOException e) {
                r.r1 = e == boom ? 1 : 8;
            } catch (Exception e) {
                r.r1 = 9;
            }
        }
    }

    @JCStressTest
    @Description("EG2, EG3: two failures racing: await throws one, the other is its only suppressed one, and the context's cause is the one thrown.")
    @Outcome(id = "1, 1, 1", expect = Expect.ACCEPTABLE, desc = "consistent first failure")
    @Outcome(expect = Expect.FORBIDDEN, desc = "a failure lost, suppressed twice, or the cause is another failure")
    @State
    public static class TwoFailuresRace {
        final ErrGroup g = ErrGroup.create();

        @Actor
        public void first() {
            start(g, "a");
        }

        @Actor
        public void second() {
            start(g, "b");
        }

        @Arbiter
        public void check(III_Result r) {
            try {
                g.await();
                r.r1 = 0;
            } catch (IOException e) {
                r.r1 = 1;
                r.r2 = e.getSuppressed().length;
                r.r3 = g.context().cause() == e ? 1 : 0;
            } catch (Exception e) {
                r.r1 = 9;
            }
        }
    }
}
