package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a Go user porting code with package {@code context} (Go 1.21+) and {@code time} (Go 1.23) relies on that no
 * other test pins: Go's documented behaviours on both kinds of thread (CX5, CX7, CX8, CX13, no defect found) and the
 * two deliberate mappings, custom contexts (CX28) and {@code time.Tick} (TM27); and a deadline at either end of time
 * printed as Go prints it (CX29, a defect: {@code toString()} threw). Virtual time (a bubble) where a
 * deadline or a tick must pass, so nothing depends on the machine's speed.
 */
@ExtendWith(NoNewGoroutines.class)
class GoPortingParityTest {
    static final ContextKey<String> USER = ContextKey.of("user");

    /**
     * CX5, CX6: a child cancelled with its own cause keeps it when its parent is cancelled later (Go's cancel sets err
     * and cause once), and a deadline form's cancel reports {@code Canceled} as its cause, not the deadline's cause.
     * Fails if a parent's later cancel overwrote the child's outcome.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX5_aChildsOwnCauseOutlivesItsParentsLaterCancel(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                IOException parentWhy = new IOException("parent");
                CancellableContext parent = Context.withCancelCause(Context.background());
                CancellableContext child = Context.withTimeout(Context.withValue(parent, USER, "ann"), Duration.ofHours(1),
                        new IOException("deadline"));
                IOException own = new IOException("own");
                child.cancel(own);
                parent.cancel(parentWhy);
                assertThat(child.cause()).isSameAs(own);
                assertThat(child.err()).isInstanceOf(ContextCanceledException.class).isNotSameAs(parent.err());
                assertThat(parent.cause()).isSameAs(parentWhy);
                CancellableContext timed = Context.withTimeout(Context.background(), Duration.ofHours(1), new IOException("late"));
                timed.cancel();
                assertThat(timed.cause()).isSameAs(timed.err()).isInstanceOf(ContextCanceledException.class);
            });
        }
    }

    /**
     * CX8: Go's AfterFunc on a context already done starts f at once in its own goroutine, so its stop returns false
     * as soon as AfterFunc has returned, before f has run; through a value context as directly. On a context that is
     * never done (a withoutCancel of a done one, TODO) stop returns true once and f never runs; stopped before the
     * cancel, f never runs and a later stop is false. Fails if stop could win against a registration on a done context.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX8_stopIsFalseAtOnceOnADoneContextAndTrueOnceOnANeverDoneOne(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                CancellableContext done = Context.withCancel(Context.background());
                done.cancel();
                CountDownLatch release = new CountDownLatch(1);
                CountDownLatch ran = new CountDownLatch(1);
                AfterFunc held = Context.afterFunc(Context.withValue(done, USER, "x"), () -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    ran.countDown();
                });
                assertThat(held.stop()).as("started already, though not yet run").isFalse();
                release.countDown();
                assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();

                AtomicInteger never = new AtomicInteger();
                AfterFunc detached = Context.afterFunc(Context.withoutCancel(done), never::incrementAndGet);
                assertThat(detached.stop()).isTrue();
                assertThat(detached.stop()).isFalse();
                assertThat(Context.afterFunc(Context.todo(), never::incrementAndGet).stop()).isTrue();
                CancellableContext live = Context.withCancel(Context.background());
                AfterFunc early = Context.afterFunc(live, never::incrementAndGet);
                assertThat(early.stop()).isTrue();
                live.cancel();
                assertThat(early.stop()).isFalse();
                assertThat(never).hasValue(0);
            });
        }
    }

    /**
     * CX7, CX9, CX13: Go's WithoutCancel of a done deadline context has no deadline, a nil Done (the background's),
     * nil Err and Cause, the values of the whole chain above it, and prints {@code .WithoutCancel}; a deadline under it
     * is its own, a cancel under it prints {@code .WithCancel} and reaches nothing above.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX7_withoutCancelOfADoneDeadlineContextIsAsGos(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(() -> {
                Instant epoch = Timers.now();
                CancellableContext expired = Context.withTimeout(Context.withValue(Context.todo(), USER, "ann"), Duration.ZERO);
                Context detached = Context.withoutCancel(Context.withValue(expired, ContextKey.<Integer>of("n"), 1));
                assertThat(expired.isDone()).isTrue();
                assertThat(detached.deadline()).isEmpty();
                assertThat(detached.err()).isNull();
                assertThat(detached.cause()).isNull();
                assertThat(detached.isDone()).isFalse();
                assertThat(detached.done()).isSameAs(Context.background().done());
                assertThat(detached.value(USER)).contains("ann");
                assertThat(detached).hasToString("context.TODO.WithValue(ContextKey[user])"
                        + ".WithDeadline(2000-01-01 00:00:00 +0000 UTC [0s]).WithValue(ContextKey[n]).WithoutCancel");
                try (CancellableContext timed = Context.withTimeout(detached, Duration.ofHours(1));
                        CancellableContext cc = Context.withCancelCause(detached)) {
                    assertThat(timed.deadline()).contains(epoch.plus(Duration.ofHours(1)));
                    assertThat(timed.isDone()).isFalse();
                    assertThat(cc.toString()).endsWith(".WithoutCancel.WithCancel");
                    cc.cancel();
                    assertThat(detached.isDone()).isFalse();
                    assertThat(timed.isDone()).isFalse();
                }
            }));
        }
    }

    /**
     * CX29: a deadline at either end of the time line prints as Go prints it: the year in full ({@code Instant.MAX},
     * the deadline of {@code withTimeout(FOREVER)} (CX2), is in year 1,000,000,000, which Java's calendar types cannot
     * hold), and the time left saturated at Go's {@code Duration} range, as Go's {@code time.Until} saturates. Before,
     * {@code toString()} threw {@code DateTimeException} for {@code Instant.MAX} and {@code Instant.MIN}, and printed a
     * time left beyond Go's range ({@code [8765812874743h...]}) for a deadline past it.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void CX29_aDeadlineAtEitherEndOfTimePrintsAsGos(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(() -> {
                String max = "context.Background.WithDeadline(1000000000-12-31 23:59:59.999999999 +0000 UTC"
                        + " [2562047h47m16.854775807s])";
                try (CancellableContext end = Context.withDeadline(Context.background(), Instant.MAX);
                        CancellableContext forever = Context.withTimeout(Context.background(), ChronoUnit.FOREVER.getDuration());
                        CancellableContext far = Context.withDeadline(Context.background(), Instant.parse("+999999999-06-30T12:00:00Z"));
                        CancellableContext start = Context.withDeadline(Context.background(), Instant.MIN);
                        CancellableContext bc = Context.withDeadline(Context.background(), Instant.parse("-0001-06-01T00:00:00.5Z"))) {
                    assertThat(end).hasToString(max);
                    assertThat(forever).hasToString(max);
                    assertThat(far).hasToString("context.Background.WithDeadline(999999999-06-30 12:00:00 +0000 UTC"
                            + " [2562047h47m16.854775807s])");
                    assertThat(start.isDone()).isTrue();
                    assertThat(start).hasToString("context.Background.WithDeadline(-1000000000-01-01 00:00:00 +0000 UTC"
                            + " [-2562047h47m16.854775808s])");
                    assertThat(bc).hasToString("context.Background.WithDeadline(-0001-06-01 00:00:00.5 +0000 UTC"
                            + " [-2562047h47m16.854775808s])");
                    // Either side of the calendar types' edge, where the formatting moves 400 years inward and back.
                    assertThat(Contexts.goTime(Instant.parse("+999999999-12-31T23:59:59.999999999Z")))
                            .isEqualTo("999999999-12-31 23:59:59.999999999 +0000 UTC");
                    assertThat(Contexts.goTime(Instant.parse("+1000000000-01-01T00:00:00Z")))
                            .isEqualTo("1000000000-01-01 00:00:00 +0000 UTC");
                    assertThat(Contexts.goTime(Instant.parse("-999999999-01-01T00:00:00Z")))
                            .isEqualTo("-999999999-01-01 00:00:00 +0000 UTC");
                    assertThat(Contexts.goTime(Instant.parse("-1000000000-12-31T23:59:59.5Z")))
                            .isEqualTo("-1000000000-12-31 23:59:59.5 +0000 UTC");
                    assertThat(Context.withCancel(Context.withValue(end, USER, "ann")))
                            .hasToString(max + ".WithValue(ContextKey[user]).WithCancel");
                }
            }));
        }
    }

    /**
     * CX28 (a deliberate difference): {@code Context} is sealed and every implementation is gochan's, so no user type
     * can stand in for Go's custom {@code context.Context}; lookups, causes and afterFuncs never meet a context they do
     * not know. Fails if a user implementation became possible without the rule changing.
     */
    @Test
    void CX28_everyContextIsGochansOwn() {
        assertThat(Context.class.isSealed()).isTrue();
        assertThat(CancellableContext.class.isSealed()).isTrue();
        assertThat(Arrays.stream(Context.class.getPermittedSubclasses()).map(Class::getPackageName))
                .containsOnly("io.gochan");
        assertThat(Arrays.stream(CancellableContext.class.getPermittedSubclasses()).map(Class::getPackageName))
                .containsOnly("io.gochan");
        assertThat(Arrays.stream(Contexts.NeverCancelled.class.getPermittedSubclasses()).map(Class::getPackageName))
                .containsOnly("io.gochan");
    }

    /**
     * TM27: Go's {@code for t := range time.Tick(d)} is a receive loop on {@code Timers.newTicker(d).c()}: the ticks of
     * any ticker, each the grid instant it was due (TM14); Go's {@code Tick} of a non-positive d returns a nil channel,
     * {@code newTicker} refuses it, naming the period (CX17).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void TM27_goTickIsATickersChannel(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> Bubble.run(() -> {
                Instant epoch = Timers.now();
                ReceiveChan<Instant> tick = Timers.newTicker(Duration.ofSeconds(1)).c();
                for (int i = 1; i <= 3; i++) {
                    assertThat(tick.receive()).isEqualTo(epoch.plusSeconds(i));
                }
            }));
        }
        assertThatThrownBy(() -> Timers.newTicker(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("period");
    }
}
