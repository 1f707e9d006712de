import io.gochan.Chan;
import java.util.concurrent.*;
public class PPC {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        for (int round = 0; round < 5; round++) {
            Chan<Integer> x = Chan.make(), y = Chan.make();
            Integer one = 1;
            long t0 = System.nanoTime();
            boolean pc = a.length > 1 && a[1].equals("pc");
            Thread pong = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { if (pc) { x.receive(); x.receive(); } else { y.send(x.receive()); } } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            Thread ping = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { x.send(one); if (pc) { x.send(one); } else { y.receive(); } } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            ping.join(); pong.join();
            long t = System.nanoTime() - t0;
            System.out.printf("round %d: %.1f ns/handoff waits %.3f parks %.3f met %d miss %d%n", round, t / (2.0 * n), io.gochan.spi.Waiter.WAITS.sumThenReset() / (2.0 * n), io.gochan.spi.Waiter.PARKS.sumThenReset() / (2.0 * n), io.gochan.spi.Waiter.MET.sumThenReset(), io.gochan.spi.Waiter.MISS.sumThenReset());
        }
    }
}
