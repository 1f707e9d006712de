import java.util.concurrent.*;
public class SQ {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 5;
        for (int round = 0; round < rounds; round++) {
            SynchronousQueue<Integer> x = new SynchronousQueue<>(), y = new SynchronousQueue<>();
            Integer one = 1;
            long t0 = System.nanoTime();
            Thread pong = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { y.put(x.take()); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            Thread ping = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { x.put(one); y.take(); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            ping.join(); pong.join();
            long t = System.nanoTime() - t0;
            System.out.printf("round %d: %.1f ns/handoff%n", round, t / (2.0 * n));
        }
    }
}
