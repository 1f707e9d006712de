package io.gochan.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Goroutine;
import io.gochan.Goroutines;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Proves a test left no transport goroutine (read loop, write loop, dial, idle reaper) alive. */
final class Leaks {
    private Leaks() {}

    static List<Goroutine> transportGoroutines() {
        return Goroutines.live().stream().filter(g -> g.name().startsWith("http-")).toList();
    }

    /** Waits (bounded) until no transport goroutine is alive, then asserts it. */
    static void assertNoTransportGoroutines() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!transportGoroutines().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            Lifecycle.letOthersRun();
        }
        assertThat(transportGoroutines()).as("transport goroutines still alive:\n%s", Goroutines.dump()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().startsWith("gochan-http-"));
    }

    static void awaitTrue(java.util.function.BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.onSpinWait();
            Lifecycle.letOthersRun();
        }
    }

    /** Whether {@code t}'s stack, whatever its state (busy or parked), is inside a class named {@code suffix}. */
    static boolean inside(Thread t, String suffix) {
        return java.util.Arrays.stream(t.getStackTrace()).anyMatch(e -> e.getClassName().endsWith(suffix));
    }

    /**
     * Gets a response from {@code uri} and drops it without closing its body, then collects garbage
     * until the transport's cleaner has reclaimed the connection (20 s at most), and asserts it did.
     */
    static void assertDroppedBodyIsReclaimed(Transport t, java.net.URI uri) throws Exception {
        dropResponse(t, uri);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (t.stats().open() != 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.yield();
        }
        assertThat(t.stats().open()).as("connection of the leaked body reclaimed").isZero();
    }

    private static void dropResponse(Transport t, java.net.URI uri) throws Exception {
        HttpResponse r = t.roundTrip(HttpRequest.newBuilder(uri).build());
        assertThat(r.status()).isEqualTo(200); // and then forget r without closing it: its frame ends here
    }

    /**
     * Runs {@code task} on a virtual thread and returns its result or what it threw; fails (not hangs) after 10 s,
     * naming where it hangs.
     */
    static Object outcomeWithin10s(String what, java.util.concurrent.Callable<?> task) throws InterruptedException {
        java.util.concurrent.atomic.AtomicReference<Object> out = new java.util.concurrent.atomic.AtomicReference<>();
        Thread th = Thread.ofVirtual().name("bounded-" + what).start(() -> {
            try {
                out.set(task.call());
            } catch (Throwable e) {
                out.set(e);
            }
        });
        boolean ended = th.join(java.time.Duration.ofSeconds(10));
        assertThat(ended).as(what + " ended (it hangs in: %s)", List.of(th.getStackTrace())).isTrue();
        return out.get();
    }
}
