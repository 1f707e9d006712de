package io.gochan.http;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds the write loop of the request for one path in its {@code wroteRequest} listener, which runs before the loop
 * reports the write, as the scheduler holds a starved write loop: the answer's end then waits the 50 ms of E138 in vain
 * and closes the connection. Released by the test, or after 20 s.
 */
final class HeldWriteWord implements RequestListener {
    private final String path;
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicBoolean held = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();

    /** @param path the path of the request whose write loop is held */
    HeldWriteWord(String path) {
        this.path = path;
    }

    @Override
    public void wroteRequest(HttpRequest request, Throwable error) {
        if (request.uri().getPath().equals(path)) {
            held.set(true);
            try {
                released.set(release.await(20, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Lets the held write loop go on. */
    void release() {
        release.countDown();
    }

    /** Whether the write loop was held. */
    boolean held() {
        return held.get();
    }

    /** Whether the write loop went on because the test released it, not after its 20 s. */
    boolean released() {
        return released.get();
    }
}
