package io.gochan.cli;

import io.gochan.Chan;
import io.gochan.ReceiveChan;
import io.gochan.SendChan;

import java.util.ArrayList;
import java.util.List;

/**
 * Go's concurrent prime sieve on gochan: a generator goroutine feeds 2, 3, 4, ... into a chain of
 * filter goroutines, one per prime found so far, each connected to the next by an unbuffered channel.
 * Every number crosses one rendezvous per filter it passes, so the demo exercises handoff and
 * scheduling of many short-lived virtual threads.
 */
final class PrimeSieve {
    private PrimeSieve() {}

    /**
     * Returns the first {@code n} primes. Starts {@code n} virtual threads and stops every one of them
     * before returning.
     */
    static List<Integer> firstPrimes(int n) throws InterruptedException {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        List<Thread> stages = new ArrayList<>();
        List<Integer> primes = new ArrayList<>(n);
        try {
            Chan<Integer> source = Chan.make();
            stages.add(start("sieve-generate", () -> generate(source.sendOnly())));
            ReceiveChan<Integer> in = source.receiveOnly();
            for (int i = 0; i < n; i++) {
                int prime = in.receive();
                primes.add(prime);
                Chan<Integer> out = Chan.make();
                ReceiveChan<Integer> from = in;
                stages.add(start("sieve-filter-" + prime, () -> filter(from, out.sendOnly(), prime)));
                in = out.receiveOnly();
            }
        } finally {
            // The pipeline is endless (as in Go); we end it by interrupting every stage.
            stages.forEach(Thread::interrupt);
            for (Thread t : stages) {
                t.join();
            }
        }
        return primes;
    }

    private static void generate(SendChan<Integer> out) throws InterruptedException {
        for (int i = 2; ; i++) {
            out.send(i);
        }
    }

    private static void filter(ReceiveChan<Integer> in, SendChan<Integer> out, int prime) throws InterruptedException {
        while (true) {
            int i = in.receive();
            if (i % prime != 0) {
                out.send(i);
            }
        }
    }

    private interface Stage {
        void run() throws InterruptedException;
    }

    private static Thread start(String name, Stage stage) {
        return Thread.ofVirtual().name(name).start(() -> {
            try {
                stage.run();
            } catch (InterruptedException e) {
                // Interrupt is how the demo stops its stages: a normal end.
            }
        });
    }
}
