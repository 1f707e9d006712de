import io.gochan.Timers;
import java.time.Duration;
import java.util.Map;

public class Probe {
    static volatile long callStart = 0;
    static volatile Object sink;
    public static void main(String[] a) throws Exception {
        long secs = Long.parseLong(a[0]);
        Thread caller = Thread.ofVirtual().start(() -> {
            long end = System.nanoTime() + secs * 1_000_000_000L;
            long n = 0, max = 0;
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                callStart = t0;
                sink = Timers.after(Duration.ofHours(1));
                long d = System.nanoTime() - t0;
                callStart = 0;
                if (d > max) { max = d; }
                if (d > 20_000_000L) System.out.println("slow call " + d / 1_000_000 + " ms at op " + n);
                n++;
            }
            System.out.println("ops " + n + " max " + max / 1000 + " us");
        });
        Thread watch = new Thread(() -> {
            while (caller.isAlive()) {
                try { Thread.sleep(10); } catch (InterruptedException e) { return; }
                long s = callStart;
                if (s != 0 && System.nanoTime() - s > 100_000_000L) {
                    System.out.println("=== stuck " + (System.nanoTime() - s) / 1_000_000 + " ms");
                    for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                        if (e.getKey().getName().startsWith("gochan")) {
                            System.out.println(e.getKey() + " " + e.getKey().getState());
                            for (int i = 0; i < Math.min(12, e.getValue().length); i++) System.out.println("   " + e.getValue()[i]);
                        }
                    }
                    StackTraceElement[] st = caller.getStackTrace();
                    System.out.println("caller " + caller.getState());
                    for (int i = 0; i < Math.min(15, st.length); i++) System.out.println("   " + st[i]);
                    try { Thread.sleep(500); } catch (InterruptedException e) { return; }
                }
            }
        });
        watch.setDaemon(true); watch.start();
        caller.join();
    }
}
