package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The interrupt flag stops only a call that has to wait (I1, CH3, EG8), checked where the audit of timers,
 * contexts and channel edges found a call that threw for the flag alone: a nil channel's timed call whose
 * time is already up (I5) and an error group's {@code go} with a free slot (G6).
 */
@ExtendWith(NoNewGoroutines.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InterruptFlagRulesTest {
    private static final Duration[] UP = {Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(-5),
            ChronoUnit.FOREVER.getDuration().negated()};

    /**
     * I5: a timed send or receive whose timeout is zero or negative never waits, so a flag already set does not
     * stop it: it reports the timeout and keeps the flag, on a nil channel (and its views) as on any other.
     * Before, the nil channel's timed calls threw {@code InterruptedException} for the flag alone.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void I5_aTimedCallWhoseTimeIsUpReportsTheTimeoutWhateverTheFlag(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Chan<Integer> nil = Chan.nil();
                Chan<Integer> empty = Chan.make(1); // nothing to receive
                Chan<Integer> full = Chan.make(1); // no room to send
                full.send(1);
                Chan<Integer> unbuffered = Chan.make(); // no partner either way
                for (Duration d : UP) {
                    for (Chan<Integer> c : java.util.List.of(nil, empty, unbuffered)) {
                        String what = (c == nil ? "nil" : c == empty ? "empty buffered" : "unbuffered") + ", " + d;
                        Thread.currentThread().interrupt();
                        assertThat(c.receive(d).notReady()).as("receive(%s)", what).isTrue();
                        assertThat(c.receiveOnly().receive(d).notReady()).as("view receive(%s)", what).isTrue();
                        assertThat(Thread.interrupted()).as("flag kept after receive(%s)", what).isTrue();
                    }
                    for (Chan<Integer> c : java.util.List.of(nil, full, unbuffered)) {
                        String what = (c == nil ? "nil" : c == full ? "full buffered" : "unbuffered") + ", " + d;
                        Thread.currentThread().interrupt();
                        assertThat(c.send(7, d)).as("send(%s)", what).isFalse();
                        assertThat(c.sendOnly().send(7, d)).as("view send(%s)", what).isFalse();
                        assertThat(Thread.interrupted()).as("flag kept after send(%s)", what).isTrue();
                    }
                }
                assertThat(full.receive()).as("nothing was sent").isEqualTo(1);
                assertThat(full.len()).isZero();
                // A call that would wait still checks the flag at once (I1), also on the nil channel.
                Thread.currentThread().interrupt();
                assertThatThrownBy(() -> nil.receive(Duration.ofHours(1))).isInstanceOf(InterruptedException.class);
                Thread.currentThread().interrupt();
                assertThatThrownBy(() -> nil.send(1, Duration.ofHours(1))).isInstanceOf(InterruptedException.class);
                assertThat(Thread.interrupted()).as("the flag was consumed by the throw").isFalse();
            });
        }
    }

    /**
     * G6: {@code ErrGroup.go} with no limit, or with a free slot, need not wait, so it starts the task even if
     * the caller's interrupt flag is set, and keeps the flag; only a {@code go} that has to wait for a slot
     * throws at once, starting nothing (EG4). Before, every {@code go} threw {@code InterruptedException} for
     * the flag alone, also without a limit.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G6_errGroupGoWithAFreeSlotStartsWhateverTheFlag(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                AtomicInteger ran = new AtomicInteger();
                try (ErrGroup g = ErrGroup.create()) {
                    Thread.currentThread().interrupt();
                    g.go(ran::incrementAndGet);
                    g.go("named", ran::incrementAndGet);
                    assertThat(Thread.interrupted()).as("flag kept (no limit)").isTrue();
                    g.await();
                }
                assertThat(ran).hasValue(2);
                CountDownLatch release = new CountDownLatch(1);
                try (ErrGroup g = ErrGroup.create()) {
                    g.setLimit(2);
                    Thread.currentThread().interrupt();
                    g.go(release::await); // a free slot: starts
                    g.go("second", release::await); // the last free slot: starts
                    assertThat(Thread.currentThread().isInterrupted()).as("flag kept (free slots)").isTrue();
                    // No slot left: this go would wait, so the flag stops it at once, and nothing starts.
                    assertThatThrownBy(() -> g.go(ran::incrementAndGet)).isInstanceOf(InterruptedException.class);
                    assertThat(Thread.interrupted()).as("the flag was consumed by the throw").isFalse();
                    assertThat(g.toString()).startsWith("ErrGroup[2 running");
                    release.countDown();
                    g.await();
                }
                assertThat(ran).as("the refused go started nothing").hasValue(2);
            });
        }
    }
}
