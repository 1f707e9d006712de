import io.gochan.Chan;

/** B1 (pp) or B2 capacity 0 (pc) between two virtual threads, 5 rounds in one JVM; ns per handoff, and the spike's counters if present. */
public class PPS {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        boolean pc = a.length > 1 && a[1].equals("pc");
        int rounds = a.length > 2 ? Integer.parseInt(a[2]) : 5;
        for (int round = 0; round < rounds; round++) {
            long[] c0 = counts();
            Chan<Integer> x = Chan.make(), y = Chan.make();
            Integer one = 1;
            long t0 = System.nanoTime();
            Thread t1, t2;
            if (pc) {
                t1 = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < 2 * n; i++) { x.receive(); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
                t2 = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < 2 * n; i++) { x.send(one); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            } else {
                t1 = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { y.send(x.receive()); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
                t2 = Thread.ofVirtual().start(() -> { try { for (int i = 0; i < n; i++) { x.send(one); y.receive(); } } catch (InterruptedException e) { throw new RuntimeException(e); } });
            }
            t1.join(); t2.join();
            long t = System.nanoTime() - t0;
            long[] c1 = counts();
            String extra = c1 == null ? "" : String.format(" claims/handoff %.3f queued/handoff %.3f", (c1[1] - c0[1]) / (2.0 * n), (c1[2] - c0[2]) / (2.0 * n));
            System.out.printf("round %d: %.1f ns/handoff%s%n", round, t / (2.0 * n), extra);
        }
    }

    static long[] counts() {
        try {
            Object[] c = (Object[]) io.gochan.spi.ChannelCore.class.getField("COUNTS").get(null);
            long[] r = new long[c.length];
            for (int i = 0; i < c.length; i++) r[i] = ((java.util.concurrent.atomic.LongAdder) c[i]).sum();
            return r;
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }
}
