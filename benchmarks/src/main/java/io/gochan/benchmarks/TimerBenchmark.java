package io.gochan.benchmarks;

import io.gochan.Timer;
import io.gochan.Timers;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * B9: what timers cost (issue 15), gochan only (run with {@code -prof gc}: bytes per operation count
 * every thread's allocation, the timer thread's included). The JMH thread is a platform thread.
 * <ul>
 *   <li>{@code afterAndReceive}: {@code Timers.after(0)} and a receive of its value: one one-shot
 *       timer's whole life, scheduled, fired by the timer thread, received.</li>
 *   <li>{@code newTimerThenStop}: a one-hour timer made and stopped at once (Go's common
 *       {@code t := time.NewTimer(d); defer t.Stop()} when the other case wins): schedule plus
 *       cancel, nothing left behind.</li>
 *   <li>{@code afterDropped}: {@code Timers.after(1h)} made and dropped (Go's
 *       {@code select { case <-time.After(time.Hour): ... }} when the other case wins). Before issue 15
 *       every dropped timer stayed queued for its hour, so this one also measures the garbage it
 *       leaves: run it briefly.</li>
 *   <li>{@code tickerReceive}: one tick received from a 20 µs ticker: ns and bytes per tick.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimerBenchmark {
    private static final Duration HOUR = Duration.ofHours(1);
    private Timer ticker;

    @Setup(Level.Trial)
    public void start() {
        ticker = Timers.newTicker(Duration.ofNanos(20_000));
    }

    @TearDown(Level.Trial)
    public void stop() {
        ticker.stop();
    }

    @Benchmark
    public Instant afterAndReceive() throws InterruptedException {
        return Timers.after(Duration.ZERO).receive();
    }

    @Benchmark
    public boolean newTimerThenStop() {
        return Timers.newTimer(HOUR).stop();
    }

    @Benchmark
    public Object afterDropped() {
        return Timers.after(HOUR);
    }

    @Benchmark
    public Instant tickerReceive() throws InterruptedException {
        return ticker.c().receive();
    }
}
