import io.gochan.Chan;
import java.util.concurrent.*;
public class PP {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        for (int round = 0; round < 5; round++) {
            Chan<Integer> x = Chan.make(), y = Chan.make();
            Integer one = 1;
            long t0 = System.nanoTime();
            Thread pong = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { y.send(x.receive()); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            Thread ping = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { x.send(one); y.receive(); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            ping.join(); pong.join();
            long t = System.nanoTime() - t0;
            System.out.printf("round %d: %.1f ns/handoff%n", round, t / (2.0 * n));
        }
    }
}
