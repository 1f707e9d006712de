import java.util.concurrent.*;
/** B2 capacity 0 on SynchronousQueue: one producer, one consumer, 2N values, 5 rounds. */
public class SQPC {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        int rounds = a.length > 1 ? Integer.parseInt(a[1]) : 5;
        for (int round = 0; round < rounds; round++) {
            SynchronousQueue<Integer> x = new SynchronousQueue<>();
            Integer one = 1;
            long t0 = System.nanoTime();
            Thread c = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < 2 * n; i++) { x.take(); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            Thread p = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < 2 * n; i++) { x.put(one); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            c.join(); p.join();
            long t = System.nanoTime() - t0;
            System.out.printf("round %d: %.1f ns/handoff%n", round, t / (2.0 * n));
        }
    }
}
