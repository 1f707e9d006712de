package io.gochan.benchmarks;

import com.softwaremill.jox.Channel;
import io.gochan.Chan;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * B7, footprint: bytes of heap retained per idle channel and per parked waiter, by heap delta. Not a
 * JMH benchmark (JMH measures time); run by {@code benchmarks/footprint.sh}, which passes the output
 * directory and runs this with {@code -XX:+UseSerialGC} so that {@code System.gc()} is a full,
 * compacting collection and the used-heap reading after it is exact.
 *
 * <p>Method, per configuration and round, each round in a fresh JVM (see {@link #main}): create a small
 * warm-up set that stays alive, allocate the holder array, read the used heap after {@code System.gc()}
 * (repeated until two readings agree, via {@link MemoryMXBean}), create the instances, read again; the
 * difference divided by the count is one round's bytes per instance. {@value #ROUNDS} rounds; the median
 * is reported with the min and max, and every round is in the JSON.
 * <ul>
 *   <li>Idle channel: {@value #CHANNELS} channels kept in an array, nothing sent. Unbuffered
 *       (gochan {@code Chan.make()}, Jox rendezvous, {@code SynchronousQueue}) and capacity 16
 *       (gochan {@code Chan.make(16)}, Jox buffered 16, {@code ArrayBlockingQueue(16)}).</li>
 *   <li>Parked waiter: {@value #WAITERS} virtual threads blocked receiving from one empty channel of each
 *       kind, measured once all are {@code WAITING}. That total includes the virtual thread itself and
 *       its stack chunk, so the baseline row ({@code LockSupport.park()} in an otherwise identical
 *       virtual thread) is measured too; "over baseline" is what the channel's wait costs on top of a
 *       parked virtual thread (its waiter node plus the deeper stack).</li>
 * </ul>
 * Compressed oops and class pointers as by default on a heap under 32 GB.
 */
public final class Footprint {
    static final int CHANNELS = 100_000;
    static final int WAITERS = 10_000;
    static final int ROUNDS = 7;
    static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    /** What a round measures is also referenced from here while the heap is read, so it cannot die early. */
    static volatile Object sink;

    private Footprint() {}

    record Kind(String peer, String channel, Supplier<Object> make, Receiver receive) {}

    interface Receiver {
        void receive(Object channel) throws Exception;
    }

    record Result(String what, String peer, String channel, int count, long median, long min, long max, long[] rounds) {}

    @SuppressWarnings("unchecked")
    static List<Kind> kinds() {
        return List.of(
                new Kind("GOCHAN", "unbuffered", Chan::make, c -> ((Chan<Object>) c).receive()),
                new Kind("JOX", "unbuffered", Channel::newRendezvousChannel, c -> ((Channel<Object>) c).receive()),
                new Kind("JUC", "unbuffered (SynchronousQueue)", SynchronousQueue::new, c -> ((SynchronousQueue<Object>) c).take()),
                new Kind("GOCHAN", "capacity 16", () -> Chan.make(16), c -> ((Chan<Object>) c).receive()),
                new Kind("JOX", "capacity 16", () -> Channel.newBufferedChannel(16), c -> ((Channel<Object>) c).receive()),
                new Kind("JUC", "capacity 16 (ArrayBlockingQueue)", () -> new ArrayBlockingQueue<>(16),
                        c -> ((ArrayBlockingQueue<Object>) c).take()));
    }

    static long usedAfterGc() {
        // Collect until two readings agree: a single System.gc() sometimes still left the previous
        // round's garbage (rounds alternated between the right delta and minus the holder array).
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (used == last) {
                return used;
            }
            last = used;
        }
        return last;
    }

    static long idleChannelRound(Kind k) {
        return idleChannelRound(k, CHANNELS);
    }

    static long idleChannelRound(Kind k, int count) {
        Object[] keep = new Object[count];
        long before = usedAfterGc();
        for (int i = 0; i < count; i++) {
            keep[i] = k.make().get();
        }
        sink = keep;
        long after = usedAfterGc();
        Reference.reachabilityFence(keep);
        return Math.round((after - before) / (double) count);
    }

    /** One round of parked waiters; {@code k == null} is the baseline (LockSupport.park). */
    static long waiterRound(Kind k) throws InterruptedException {
        return waiterRound(k, WAITERS, true);
    }

    static long waiterRound(Kind k, int count, boolean release) throws InterruptedException {
        Object channel = k == null ? null : k.make().get();
        Thread[] waiters = new Thread[count];
        sink = new Object[] {channel, waiters};
        Runnable body = k == null
                ? () -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        LockSupport.park();
                    }
                }
                : () -> {
                    try {
                        k.receive().receive(channel);
                    } catch (Exception e) {
                        // interrupted at the end of the round: expected
                    }
                };
        long before = usedAfterGc();
        for (int i = 0; i < count; i++) {
            waiters[i] = Thread.ofVirtual().start(body);
        }
        for (Thread t : waiters) {
            // A waiter may spin before parking (Jox does): wait until each one is really parked.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (t.getState() != Thread.State.WAITING) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("waiter did not park: " + t.getState());
                }
                Thread.sleep(1);
            }
        }
        sink = new Object[] {channel, waiters};
        long after = usedAfterGc();
        if (release) {
            sink = null;
            for (Thread t : waiters) {
                t.interrupt();
            }
            for (Thread t : waiters) {
                t.join();
            }
        }
        Reference.reachabilityFence(channel);
        return Math.round((after - before) / (double) count);
    }

    interface Round {
        long run() throws InterruptedException;
    }

    /** The configurations, in report order: idle channels, the parked baseline, parked waiters. */
    static List<String[]> configs() {
        List<String[]> c = new ArrayList<>();
        List<Kind> kinds = kinds();
        for (int i = 0; i < kinds.size(); i++) {
            c.add(new String[] {"idle channel", kinds.get(i).peer(), kinds.get(i).channel(), String.valueOf(CHANNELS), "idle:" + i});
        }
        c.add(new String[] {"parked waiter", "BASELINE", "LockSupport.park() in a virtual thread", String.valueOf(WAITERS), "baseline"});
        for (int i = 0; i < kinds.size(); i++) {
            c.add(new String[] {"parked waiter", kinds.get(i).peer(), kinds.get(i).channel(), String.valueOf(WAITERS), "waiter:" + i});
        }
        return c;
    }

    static Round round(String id) {
        String[] p = id.split(":");
        return switch (p[0]) {
            case "idle" -> () -> idleChannelRound(kinds().get(Integer.parseInt(p[1])));
            case "baseline" -> () -> waiterRound(null);
            case "waiter" -> () -> waiterRound(kinds().get(Integer.parseInt(p[1])));
            default -> throw new IllegalArgumentException(id);
        };
    }

    /**
     * {@code Footprint OUT_DIR} measures every configuration, {@value #ROUNDS} rounds each, every round
     * in a fresh JVM ({@code Footprint --one ID}, same java and flags): rounds measured one after the
     * other in one JVM alternated between the right delta and minus the holder array (the previous
     * round's objects were still reachable at the next round's first reading), which a fresh JVM per
     * round avoids. Inside a JVM, a small warm-up set (class loading, JIT) is created first and kept
     * alive, then one measured round follows.
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--one")) {
            // Warm-up (class loading; JIT, since interpreted frames make bigger stack chunks) with a
            // small set that stays alive: objects released before the reading stayed reachable at the
            // first reading (see above), objects that stay alive cancel out of the delta.
            String[] p = args[1].split(":");
            Object warm = switch (p[0]) {
                case "idle" -> idleChannelRound(kinds().get(Integer.parseInt(p[1])), 5_000);
                case "baseline" -> waiterRound(null, 1_000, false);
                default -> waiterRound(kinds().get(Integer.parseInt(p[1])), 1_000, false);
            };
            Object[] warmSet = (Object[]) sink;
            System.out.println("BYTES " + round(args[1]).run());
            Reference.reachabilityFence(warmSet);
            Reference.reachabilityFence(warm);
            System.exit(0); // the warm-up waiters stay parked
            return;
        }
        Path out = Path.of(args.length > 0 ? args[0] : ".");
        Files.createDirectories(out);
        List<String> java = new ArrayList<>();
        java.add(ProcessHandle.current().info().command().orElse("java"));
        java.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        java.add("-cp");
        java.add(System.getProperty("java.class.path"));
        java.add(Footprint.class.getName());
        List<Result> results = new ArrayList<>();
        long baseline = 0;
        for (String[] c : configs()) {
            long[] r = new long[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                List<String> cmd = new ArrayList<>(java);
                cmd.add("--one");
                cmd.add(c[4]);
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String text = new String(p.getInputStream().readAllBytes());
                if (p.waitFor() != 0 || !text.contains("BYTES ")) {
                    throw new IllegalStateException("round of " + c[4] + " failed:\n" + text);
                }
                r[i] = Long.parseLong(text.substring(text.indexOf("BYTES ") + 6).trim().split("\\s+")[0]);
            }
            long[] sorted = r.clone();
            Arrays.sort(sorted);
            Result res = new Result(c[0], c[1], c[2], Integer.parseInt(c[3]), sorted[ROUNDS / 2], sorted[0], sorted[ROUNDS - 1], r);
            System.err.println(c[0] + " " + c[1] + " " + c[2] + ": " + Arrays.toString(r));
            if (c[1].equals("BASELINE")) {
                baseline = res.median();
            }
            results.add(res);
        }
        write(out, results, baseline);
    }

    static void write(Path out, List<Result> results, long baseline) throws IOException {
        StringBuilder json = new StringBuilder("[\n");
        StringBuilder md = new StringBuilder();
        md.append("B7 footprint: bytes retained per instance, median of ").append(ROUNDS)
                .append(" rounds (min–max), heap delta after System.gc() with SerialGC; ")
                .append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
                .append(".\n\n| what | peer | channel | instances per round | bytes each (median) | min–max | over baseline |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            boolean waiter = r.what().equals("parked waiter") && !r.peer().equals("BASELINE");
            json.append(String.format(Locale.ROOT,
                    "  {\"what\": \"%s\", \"peer\": \"%s\", \"channel\": \"%s\", \"count\": %d, \"bytesMedian\": %d, "
                            + "\"bytesMin\": %d, \"bytesMax\": %d, \"rounds\": %s%s}%s\n",
                    r.what(), r.peer(), r.channel(), r.count(), r.median(), r.min(), r.max(), Arrays.toString(r.rounds()),
                    waiter ? ", \"bytesOverBaseline\": " + (r.median() - baseline) : "",
                    i < results.size() - 1 ? "," : ""));
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %d–%d | %s |\n", r.what(), r.peer(),
                    r.channel(), r.count(), r.median(), r.min(), r.max(), waiter ? String.valueOf(r.median() - baseline) : ""));
        }
        json.append("]\n");
        Files.writeString(out.resolve("footprint.json"), json);
        Files.writeString(out.resolve("footprint.md"), md);
        System.out.print(md);
    }
}
