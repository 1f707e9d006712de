package io.gochan.benchmarks;

/** Which kind of thread runs both sides of a workload. */
public enum ThreadKind {
    VIRTUAL, PLATFORM;

    /** Starts {@code r} on a new thread of this kind. */
    Thread start(String name, Runnable r) {
        return this == VIRTUAL ? Thread.ofVirtual().name(name).start(r) : Thread.ofPlatform().daemon().name(name).start(r);
    }

    /**
     * Runs {@code r} on a thread of this kind and waits for it: the JMH thread itself for PLATFORM, a
     * fresh virtual thread for VIRTUAL (its start costs about a microsecond, spread over the batch).
     */
    void runAndJoin(Runnable r) throws InterruptedException {
        if (this == PLATFORM) {
            r.run();
        } else {
            Thread.ofVirtual().start(r).join();
        }
    }
}
