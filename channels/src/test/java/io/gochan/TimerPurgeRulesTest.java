package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.spi.ChannelCore;
import io.gochan.spi.ChannelCores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * TM28 (docs/spec/context-timers.md): the timers a GC collected at once (dropped {@code Timers.after} timers, cleared by
 * the same collection) are taken out of the scheduler's heap by the timer thread, in batches, never by the one call
 * that happens to come next. The GC's work is simulated: {@link java.lang.ref.Reference#enqueue()}
 * clears an entry's channel and queues it, as the collector does for a channel nothing references.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
@ExtendWith(NoNewGoroutines.class)
class TimerPurgeRulesTest {
    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final int COLLECTED = 10_000;

    /** Arms a channel timer an hour away on {@code s}, as {@code Timers.after} does (under its channel's lock). */
    private static TimerEntry armed(TimerScheduler s, List<ChannelCore> keep) {
        ChannelCore core = ChannelCores.of(Chan.timerChannel());
        keep.add(core);
        TimerEntry e = s.channelEntry(core);
        core.lock();
        try {
            s.schedule(e, HOUR, 0L);
        } finally {
            core.unlock();
        }
        return e;
    }

    /** {@value #COLLECTED} timers armed, then all collected by one simulated GC. */
    private static TimerScheduler withCollectedTimers(TimerRulesTest.FakeClock clock, List<ChannelCore> keep) {
        TimerScheduler s = new TimerScheduler(clock, false);
        List<TimerEntry> entries = new ArrayList<>();
        for (int i = 0; i < COLLECTED; i++) {
            entries.add(armed(s, keep));
        }
        assertThat(s.heapSize()).isEqualTo(COLLECTED);
        for (TimerEntry e : entries) {
            assertThat(e.enqueue()).isTrue();
        }
        return s;
    }

    /**
     * A timer made right after a GC collected many takes none of them out, nor waits on the reference queue: before,
     * it removed all ten thousand while it held the scheduler's lock and its channel's (a probe of dropped
     * {@code after} timers saw calls held 100 ms and more, the JMH run one held 3 s), and then, with a bound of 32 a
     * call, still polled the queue under those locks while the JDK's reference handler held it. The timer thread takes
     * them out (below), and a look at the heap ({@code pending}) sees live entries only.
     */
    @Test
    void TM28_aTimerMadeAfterAGcLeavesTheCollectedTimersToTheTimerThread() {
        List<ChannelCore> keep = new ArrayList<>();
        TimerScheduler s = withCollectedTimers(new TimerRulesTest.FakeClock(), keep);
        armed(s, keep);
        assertThat(s.heapSize()).as("one added, none taken out").isEqualTo(COLLECTED + 1);
        assertThat(s.pending()).as("the live timer only, once the heap is looked at").isEqualTo(1);
        assertThat(s.heapSize()).isEqualTo(1);
    }

    /**
     * The timer thread's turn takes out every collected entry, a batch per hold of the lock, before it fires what is
     * due: after one turn the heap holds nothing but the live timers not yet due.
     */
    @Test
    void TM28_theTimerThreadTakesOutEveryCollectedTimerInBatches() {
        List<ChannelCore> keep = new ArrayList<>();
        TimerRulesTest.FakeClock clock = new TimerRulesTest.FakeClock();
        TimerScheduler s = withCollectedTimers(clock, keep);
        clock.advance(HOUR / 2);
        ChannelCore core = ChannelCores.of(Chan.timerChannel()); // a live timer due now: the turn returns once it fired
        keep.add(core);
        TimerEntry due = s.channelEntry(core);
        core.lock();
        try {
            s.schedule(due, 0L, 0L);
        } finally {
            core.unlock();
        }
        s.turn();
        assertThat(s.heapSize()).as("every collected entry out, the due one fired").isZero();
        assertThat(core.len()).as("the due timer's value delivered").isEqualTo(1);
    }
}
