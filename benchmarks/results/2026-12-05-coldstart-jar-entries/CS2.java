package y;
import io.gochan.Chan;
import io.gochan.Go;
import java.util.concurrent.SynchronousQueue;
public final class CS2 {
  public static void main(String[] a) throws Exception {
    long t0 = System.nanoTime(); long t1, t2, t3;
    if (a[0].equals("gochan")) {
      Chan<Integer> ch = Chan.make(); t1 = System.nanoTime();
      Go.go(() -> ch.send(42)); t2 = System.nanoTime();
      int v = ch.receive(); t3 = System.nanoTime();
    } else {
      SynchronousQueue<Integer> q = new SynchronousQueue<>(); t1 = System.nanoTime();
      Thread.ofVirtual().start(() -> { try { q.put(42); } catch (InterruptedException e) { Thread.currentThread().interrupt(); } }); t2 = System.nanoTime();
      int v = q.take(); t3 = System.nanoTime();
    }
    System.out.println(a[0] + " " + (t1-t0) + " " + (t2-t1) + " " + (t3-t2));
  }
}
