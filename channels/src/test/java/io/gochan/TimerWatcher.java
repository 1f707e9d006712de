package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A receiver that waits on a timer's channel, so that the system scheduler keeps the timer in its heap (rule TM29: a
 * channel timer nobody waits on is out of it, and its round never takes it), until {@link #leave()} cancels its
 * context. Its wait then ends through the context's done channel, whose lock is not the timer channel's: it leaves
 * while a test holds that lock (its node stays queued there, its waiter taken, until it gets the lock), and takes no
 * value of the timer from then on. For the tests of a round's delivery held up on the channel's lock (TM4, TM7).
 */
final class TimerWatcher implements AutoCloseable {
    private final CancellableContext ctx = Context.withCancel(Context.background());
    private final AtomicReference<Object> outcome = new AtomicReference<>();
    private final Thread thread;

    /** Starts the receiver on a thread of {@code kind} and returns once {@code t}, armed, is in the heap. */
    TimerWatcher(Threads.Kind kind, Timer t) {
        Runnable wait = () -> {
            try {
                outcome.set(t.c().receive(ctx));
            } catch (CancellationException | InterruptedException e) {
                outcome.set(e);
            }
        };
        thread = kind == Threads.Kind.VIRTUAL ? Thread.ofVirtual().start(wait) : Thread.ofPlatform().daemon().start(wait);
        Threads.awaitTrue(() -> TimerScheduler.SYSTEM.inHeap(t.entry()), "the watcher waits on the timer");
    }

    /** Ends the receiver's wait by its context; never blocks on the timer channel's lock. */
    void leave() {
        ctx.cancel();
    }

    /** Joins the receiver (its context cancelled if {@link #leave()} was not called) and asserts it took no value. */
    @Override
    public void close() throws Exception {
        ctx.cancel();
        assertThat(thread.join(Duration.ofSeconds(60))).as("the watcher ended").isTrue();
        assertThat(outcome.get()).as("the watcher took no value").isInstanceOf(CancellationException.class);
    }
}
