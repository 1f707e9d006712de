package io.gochan.benchmarks;

import io.gochan.Go;
import io.gochan.Goroutines;
import java.time.Duration;

/** Starts and checks the stage threads of the pipeline workloads (B5). */
final class Stages {
    private Stages() {}

    /** A stage body; blocking operations throw {@link InterruptedException}. */
    interface Body {
        void run() throws InterruptedException;
    }

    /**
     * Starts {@code body} the way a user of {@code peer} would: gochan's {@code Go.go} (a virtual
     * thread registered as a goroutine) for GOCHAN on virtual threads, a plain virtual thread for the
     * other peers, a platform daemon thread for PLATFORM.
     */
    static Thread start(Pipe.Peer peer, ThreadKind kind, Body body) {
        Runnable r = () -> {
            try {
                body.run();
            } catch (InterruptedException e) {
                // Stages end by the STOP value; an interrupt only comes from a failed trial's clean-up.
            }
        };
        if (kind == ThreadKind.PLATFORM) {
            return Thread.ofPlatform().daemon().start(r);
        }
        if (peer == Pipe.Peer.GOCHAN) {
            return Go.go(r::run).thread();
        }
        return Thread.ofVirtual().start(r);
    }

    /** Fails unless every thread has ended within a few seconds (and, for gochan, no goroutine is live). */
    static void assertAllEnded(Thread[] stages, Pipe.Peer peer) throws InterruptedException {
        for (Thread t : stages) {
            if (t != null && !t.join(Duration.ofSeconds(5))) {
                throw new IllegalStateException("stage leaked: " + t + " still alive");
            }
        }
        if (peer == Pipe.Peer.GOCHAN && Goroutines.count() != 0) {
            throw new IllegalStateException("goroutines leaked: " + Goroutines.dump());
        }
    }
}
