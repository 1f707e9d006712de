package io.gochan.benchmarks;

import io.gochan.Chan;
import io.gochan.Go;
import java.util.concurrent.SynchronousQueue;

/**
 * B8, cold start: what a fresh JVM pays for its first goroutine and its first channel handoff.
 * Run once per process ({@code benchmarks/coldstart.sh} launches it many times and takes the median):
 *
 * <ul>
 *   <li>{@code gochan}: {@code Chan.make()}, {@code Go.go} a goroutine that sends one value, receive it;</li>
 *   <li>{@code bare}: the same shape without gochan, a {@code Thread.ofVirtual()} thread putting one
 *       value into a {@code SynchronousQueue} that the main thread takes.</li>
 * </ul>
 *
 * <p>Prints {@code <variant> <nanoseconds> <cpu nanoseconds>}: the time from the start of {@code main}
 * until the value arrived, so it includes loading and linking every class the first use needs
 * (gochan's own, lambdas, the virtual-thread scheduler), which is what a user's first call pays; and
 * the CPU time the whole process had used by then (all its threads, JVM start-up included), which a
 * busy machine inflates less than elapsed time. Not JMH: JMH's warm-up would hide exactly this.
 */
public final class ColdStart {
    private ColdStart() {}

    /**
     * Runs one variant and prints its time.
     *
     * @param args {@code gochan} or {@code bare}
     * @throws Exception if the handoff fails (it does not)
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: ColdStart gochan|bare");
        }
        long t0 = System.nanoTime();
        int v = switch (args[0]) {
            case "gochan" -> gochan();
            case "bare" -> bare();
            default -> throw new IllegalArgumentException("variant must be gochan or bare: " + args[0]);
        };
        long ns = System.nanoTime() - t0;
        long cpu = ProcessHandle.current().info().totalCpuDuration().orElseThrow().toNanos();
        if (v != 42) {
            throw new AssertionError("received " + v);
        }
        System.out.println(args[0] + " " + ns + " " + cpu);
    }

    private static int gochan() throws InterruptedException {
        Chan<Integer> ch = Chan.make();
        Go.go(() -> ch.send(42));
        return ch.receive();
    }

    private static int bare() throws InterruptedException {
        SynchronousQueue<Integer> q = new SynchronousQueue<>();
        Thread.ofVirtual().start(() -> {
            try {
                q.put(42);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        return q.take();
    }
}
