import io.gochan.Chan;
import io.gochan.Received;
import java.time.Duration;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

/** Spike correctness check (plain operations on unbuffered channels): every value delivered exactly once. */
public class Check {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        pingPong(n);
        mpmc(4, 4, n / 4);
        timedConsumers(2, 3, n / 10);
        closeWhileWaiting(20_000);
        System.out.println("OK fresh solos=" + io.gochan.spi.Waiter.FRESH_SOLOS.get());
    }

    static void pingPong(int n) throws Exception {
        Chan<Integer> x = Chan.make(), y = Chan.make();
        Thread pong = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { y.send(x.receive() + 1); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
        int v = 0;
        for (int i = 0; i < n; i++) { x.send(v); int r = y.receive(); if (r != v + 1) throw new AssertionError("pp " + v + " -> " + r); v = r; }
        pong.join();
        System.out.println("pingpong ok " + v);
    }

    static void mpmc(int p, int c, int per) throws Exception {
        Chan<Integer> ch = Chan.make();
        AtomicIntegerArray seen = new AtomicIntegerArray(p * per);
        Thread[] ts = new Thread[p + c];
        for (int i = 0; i < p; i++) { int base = i * per; ts[i] = Thread.ofVirtual().start(() -> { try { for (int k = 0; k < per; k++) ch.send(base + k); } catch (InterruptedException e) { throw new RuntimeException(e); } }); }
        for (int i = 0; i < c; i++) { ts[p + i] = Thread.ofVirtual().start(() -> { try { for (Integer v; (v = ch.receiveOk().orElse(null)) != null; ) { if (seen.getAndIncrement(v) != 0) throw new AssertionError("dup " + v); } } catch (InterruptedException e) { throw new RuntimeException(e); } }); }
        for (int i = 0; i < p; i++) ts[i].join();
        ch.close();
        for (int i = 0; i < c; i++) ts[p + i].join();
        for (int i = 0; i < p * per; i++) if (seen.get(i) != 1) throw new AssertionError("lost " + i);
        System.out.println("mpmc ok " + p * per);
    }

    /** Consumers with short timeouts (cancel races with claims); producers with timed sends retrying. */
    static void timedConsumers(int p, int c, int per) throws Exception {
        Chan<Integer> ch = Chan.make();
        AtomicIntegerArray seen = new AtomicIntegerArray(p * per);
        AtomicInteger got = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        Thread[] ts = new Thread[p + c];
        for (int i = 0; i < p; i++) { int base = i * per; ts[i] = Thread.ofVirtual().start(() -> { try { for (int k = 0; k < per; k++) { while (!ch.send(base + k, Duration.ofNanos(k % 3 == 0 ? 1_000 : 50_000))) { } } } catch (InterruptedException e) { throw new RuntimeException(e); } }); }
        for (int i = 0; i < c; i++) { ts[p + i] = Thread.ofVirtual().start(() -> { try { while (!done.get()) { Received<Integer> r = ch.receive(Duration.ofNanos(20_000)); if (r.ok()) { if (seen.getAndIncrement(r.value()) != 0) throw new AssertionError("dup " + r.value()); got.incrementAndGet(); } } } catch (InterruptedException e) { throw new RuntimeException(e); } }); }
        for (int i = 0; i < p; i++) ts[i].join();
        done.set(true);
        for (int i = 0; i < c; i++) ts[p + i].join();
        for (int i = 0; i < p * per; i++) if (seen.get(i) != 1) throw new AssertionError("lost/dup " + i + " " + seen.get(i));
        System.out.println("timed ok " + got.get());
    }

    static void closeWhileWaiting(int rounds) throws Exception {
        for (int r = 0; r < rounds; r++) {
            Chan<Integer> ch = Chan.make();
            AtomicInteger received = new AtomicInteger(), closedSeen = new AtomicInteger(), sent = new AtomicInteger(), refused = new AtomicInteger();
            Thread rx = Thread.ofVirtual().start(() -> { try { Received<Integer> v = ch.receiveOk(); if (v.ok()) received.incrementAndGet(); else closedSeen.incrementAndGet(); } catch (InterruptedException e) { throw new RuntimeException(e); } });
            Thread tx = Thread.ofVirtual().start(() -> { try { ch.send(1); sent.incrementAndGet(); } catch (IllegalStateException e) { refused.incrementAndGet(); } catch (InterruptedException e) { throw new RuntimeException(e); } });
            if ((r & 1) == 0) Thread.onSpinWait();
            ch.close();
            rx.join(); tx.join();
            if (received.get() != sent.get()) throw new AssertionError("close: received " + received + " sent " + sent + " refused " + refused + " closedSeen " + closedSeen);
        }
        System.out.println("close ok");
    }
}
