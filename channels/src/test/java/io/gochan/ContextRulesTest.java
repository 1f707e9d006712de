package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rules CX1–CX4 (docs/spec/context-timers.md): contexts under pressure. */
class ContextRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);
    static final List<Duration> FAR = List.of(ChronoUnit.FOREVER.getDuration(), Duration.ofSeconds(Long.MAX_VALUE),
            Duration.ofDays(300L * 365), Duration.ofNanos(Long.MAX_VALUE));

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX1_errIsNonNullExactlyWhenDoneIsClosed(Kind kind) throws Exception {
        // A canceller thread cancels what it is handed; this thread watches one side and checks the
        // other the moment it changes. Before issue 15 err was visible first in ~10 % of the rounds.
        Chan<CancellableContext> toCancel = Chan.make();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> toCancel.range(CancellableContext::cancel));
            for (int round = 0; round < 20_000; round++) {
                CancellableContext ctx = Context.withCancel(Context.background());
                toCancel.send(ctx);
                if (round % 2 == 0) {
                    while (ctx.err() == null) {
                        Thread.onSpinWait();
                    }
                    assertThat(ctx.done().tryReceive().closed()).as("round %d: err set, done closed", round).isTrue();
                } else {
                    while (!ctx.done().tryReceive().closed()) {
                        Thread.onSpinWait();
                    }
                    assertThat(ctx.err()).as("round %d: done closed, err set", round).isNotNull();
                }
            }
            toCancel.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX2_CX3_farDeadlinesSaturateAndAFailedCallRegistersNothing(Kind kind) throws Exception {
        CancellableContext parent = Context.withCancel(Context.background());
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (Duration d : FAR) {
                    CancellableContext c = Context.withTimeout(parent, d); // threw ArithmeticException before
                    assertThat(c.err()).isNull();
                    assertThat(c.deadline()).isPresent();
                    c.cancel();
                }
                CancellableContext max = Context.withDeadline(parent, Instant.MAX);
                assertThat(max.deadline()).contains(Instant.MAX);
                assertThat(Context.withTimeout(max, ChronoUnit.FOREVER.getDuration()).deadline()).contains(Instant.MAX);
                max.cancel();
                assertThat(Context.withTimeout(parent, ChronoUnit.FOREVER.getDuration()).deadline()).contains(Instant.MAX);
                // Far in the past: done at once.
                CancellableContext past = Context.withTimeout(parent, ChronoUnit.FOREVER.getDuration().negated());
                assertThat(past.err()).isInstanceOf(DeadlineExceededException.class);
                CancellableContext min = Context.withDeadline(parent, Instant.MIN);
                assertThat(min.done().receive(LONG).closed()).isTrue();
                // CX3: calls that throw leave no child behind.
                assertThatThrownBy(() -> Context.withTimeout(parent, null)).isInstanceOf(NullPointerException.class);
                assertThatThrownBy(() -> Context.withDeadline(parent, null)).isInstanceOf(NullPointerException.class);
            });
        }
        // Only the uncancelled FOREVER child is left (the past and MIN ones leave when done).
        assertThat(((Contexts.CancelContext) parent).childCount()).isEqualTo(1);
        parent.cancel();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX4_cancelReachesAnyDepth(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext root = Context.withCancel(Context.background());
                List<CancellableContext> chain = new ArrayList<>();
                Context last = root;
                for (int i = 0; i < 100_000; i++) {
                    CancellableContext c = i % 2 == 0 ? Context.withCancel(last) : Context.withTimeout(last, Duration.ofHours(1));
                    chain.add(c);
                    last = c;
                }
                CancellableContext middle = chain.get(50_000);
                CancellableContext middleParent = chain.get(49_999);
                middle.cancel(); // cancels 50,000 descendants, then leaves its parent
                assertThat(((Contexts.CancelContext) middleParent).childCount()).isZero();
                assertThat(chain.get(99_999).err()).isInstanceOf(ContextCanceledException.class);
                assertThat(middleParent.err()).isNull();
                root.cancel();
                for (CancellableContext c : chain) {
                    assertThat(c.done().tryReceive().closed()).isTrue();
                    assertThat(c.err()).isNotNull();
                    assertThat(((Contexts.CancelContext) c).childCount()).isZero();
                }
                assertThat(((Contexts.CancelContext) root).childCount()).isZero();
            });
        }
        // A wide tree too, and its deadline timers are gone.
        int before = Timers.pendingTasks();
        CancellableContext root = Context.withCancel(Context.background());
        for (int i = 0; i < 1000; i++) {
            CancellableContext child = Context.withTimeout(root, Duration.ofHours(1));
            Context.withTimeout(child, Duration.ofMinutes(1));
        }
        root.cancel();
        assertThat(Timers.pendingTasks()).isLessThanOrEqualTo(before);
    }
}
