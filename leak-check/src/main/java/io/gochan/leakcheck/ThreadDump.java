package io.gochan.leakcheck;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * The live virtual threads as the JDK's thread dump lists them ({@code HotSpotDiagnosticMXBean.dumpThreads}
 * in JSON, JDK 21+): the only API that lists virtual threads. It lists every thread of every thread
 * container: a virtual-thread-per-task executor's, a structured task scope's, and those started
 * directly with the {@code Thread} API when {@code jdk.trackAllThreads} is true (the default; with it
 * false the JDK only counts them). Each dump writes a file: a few milliseconds with a few dozen
 * threads, about 150 ms for the first one in a JVM (class loading).
 *
 * <p>The format differs by JDK (LK25): JDK 25 writes {@code "virtual": true} and a {@code "state"} for
 * each thread (JDK-8356870); JDK 21 to 24 write only {@code tid}, {@code name} and {@code stack}, for
 * platform and virtual threads alike, so a thread without the field is told apart by its stack, or by
 * the JVM's list of platform threads when it has none.
 */
final class ThreadDump {
    /** One virtual thread of a dump; {@code state} is "UNKNOWN" if the dump has none (JDK 21-24). */
    record VirtualThread(long tid, String name, String state, String container, List<String> stack) {}

    private static final HotSpotDiagnosticMXBean BEAN = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

    /** Dumps taken so far in this JVM (the cost tests read it). */
    static final java.util.concurrent.atomic.AtomicLong TAKEN = new java.util.concurrent.atomic.AtomicLong();

    /** The state of a thread whose dump writes none (JDK 21-24), so that a report never says "null". */
    static final String UNKNOWN_STATE = "UNKNOWN";

    private ThreadDump() {}

    /**
     * Dumps the threads and returns the virtual ones.
     *
     * @throws UncheckedIOException if the dump cannot be written or read
     */
    static List<VirtualThread> virtualThreads() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("gochan-leakcheck");
            Path file = dir.resolve("threads.json"); // dumpThreads refuses an existing file
            // LK25: on JDK 21-24 a thread of the dump with an empty stack (a virtual thread started but not
            // yet run) is virtual only if it is no platform thread: the platform threads alive before or
            // after the dump include every one the dump can list, but for one that started and ended in between.
            Set<Long> platform = platformThreadIds();
            BEAN.dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            TAKEN.incrementAndGet();
            platform.addAll(platformThreadIds());
            String json = Files.readString(file);
            Files.delete(file);
            return parse(json, tid -> platform.contains(tid));
        } catch (IOException e) {
            throw new UncheckedIOException("the JDK's thread dump failed", e);
        } finally {
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    System.getLogger(ThreadDump.class.getName()).log(System.Logger.Level.DEBUG, "could not delete " + dir, e);
                }
            }
        }
    }

    /** {@return the ids of the live platform threads} ({@code ThreadMXBean} lists no virtual thread) */
    private static Set<Long> platformThreadIds() {
        Set<Long> ids = new HashSet<>();
        for (long id : ManagementFactory.getThreadMXBean().getAllThreadIds()) {
            ids.add(id);
        }
        return ids;
    }

    /**
     * Reads the virtual threads out of a JSON thread dump, as {@link #parse(String, LongPredicate)} does when
     * a thread with an empty stack in a JDK 21-24 dump is taken for a platform thread.
     *
     * @return the virtual threads, in the dump's order
     */
    static List<VirtualThread> parse(String json) {
        return parse(json, tid -> true);
    }

    /**
     * Reads the virtual threads out of a JSON thread dump (format of JDK 21 to 25, LK25). A thread is
     * virtual if it says {@code "virtual": true} (JDK 25, which writes the field for virtual threads only and
     * a {@code "state"} for every thread); a thread with neither field (JDK 21-24) is virtual if the bottom
     * frame of its stack is in {@code java.lang.VirtualThread} (every virtual thread's stack ends in
     * {@code VirtualThread.run}; a carrier's ends in its {@code ForkJoinWorkerThread.run}, a platform
     * thread's in {@code Thread.run} or a {@code main}), or, with no frame at all, if {@code platform} says
     * its tid is no platform thread's.
     *
     * @param platform whether a tid is a live platform thread's, asked only for a thread with no stack in a
     *     JDK 21-24 dump
     * @return the virtual threads, in the dump's order
     */
    @SuppressWarnings("unchecked")
    static List<VirtualThread> parse(String json, LongPredicate platform) {
        Map<String, Object> root = (Map<String, Object>) Json.parse(json);
        Map<String, Object> dump = (Map<String, Object>) root.get("threadDump");
        List<VirtualThread> found = new ArrayList<>();
        for (Object c : (List<Object>) dump.get("threadContainers")) {
            Map<String, Object> container = (Map<String, Object>) c;
            String containerName = String.valueOf(container.get("container"));
            for (Object t : (List<Object>) container.get("threads")) {
                Map<String, Object> thread = (Map<String, Object>) t;
                List<String> stack = new ArrayList<>();
                Object frames = thread.get("stack");
                if (frames instanceof List<?> list) {
                    for (Object f : list) {
                        stack.add(String.valueOf(f));
                    }
                }
                long tid = Long.parseLong(String.valueOf(thread.get("tid")));
                // JDK 25 writes "state" for every thread and "virtual" for virtual ones only; JDK 21-24 write neither.
                boolean virtual = thread.containsKey("virtual") ? Boolean.TRUE.equals(thread.get("virtual"))
                        : !thread.containsKey("state") && (stack.isEmpty() ? !platform.test(tid) : endsInVirtualThread(stack));
                if (!virtual) {
                    continue;
                }
                Object state = thread.get("state");
                found.add(new VirtualThread(tid, String.valueOf(thread.getOrDefault("name", "")),
                        state == null ? UNKNOWN_STATE : String.valueOf(state), containerName, List.copyOf(stack)));
            }
        }
        return found;
    }

    /**
     * LK25: whether a stack's bottom frame is the virtual thread's own: {@code java.lang.VirtualThread.run} on
     * JDK 21 to 25 (the continuation's entry, a lambda on 21 and a {@code @Hidden} runnable later, is not
     * shown), or a nested class of {@code VirtualThread} should a JDK show one there.
     */
    private static boolean endsInVirtualThread(List<String> stack) {
        List<String> functions = Frames.functions(stack);
        String bottom = functions.get(functions.size() - 1);
        return bottom.equals("java.lang.VirtualThread.run") || bottom.startsWith("java.lang.VirtualThread$");
    }
}
