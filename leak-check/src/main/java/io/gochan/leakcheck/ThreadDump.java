package io.gochan.leakcheck;

import com.sun.management.HotSpotDiagnosticMXBean;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The live virtual threads as the JDK's thread dump lists them ({@code HotSpotDiagnosticMXBean.dumpThreads}
 * in JSON, JDK 21+): the only API that lists virtual threads. It lists every thread of every thread
 * container: a virtual-thread-per-task executor's, a structured task scope's, and those started
 * directly with the {@code Thread} API when {@code jdk.trackAllThreads} is true (the default; with it
 * false the JDK only counts them). Each dump writes a file: a few milliseconds with a few dozen
 * threads, about 150 ms for the first one in a JVM (class loading).
 */
final class ThreadDump {
    /** One virtual thread of a dump. */
    record VirtualThread(long tid, String name, String state, String container, List<String> stack) {}

    private static final HotSpotDiagnosticMXBean BEAN = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);

    /** Dumps taken so far in this JVM (the cost tests read it). */
    static final java.util.concurrent.atomic.AtomicLong TAKEN = new java.util.concurrent.atomic.AtomicLong();

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
            BEAN.dumpThreads(file.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            TAKEN.incrementAndGet();
            String json = Files.readString(file);
            Files.delete(file);
            return parse(json);
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

    /** Reads the virtual threads out of a JSON thread dump (format of JDK 21 to 25). */
    @SuppressWarnings("unchecked")
    static List<VirtualThread> parse(String json) {
        Map<String, Object> root = (Map<String, Object>) Json.parse(json);
        Map<String, Object> dump = (Map<String, Object>) root.get("threadDump");
        List<VirtualThread> found = new ArrayList<>();
        for (Object c : (List<Object>) dump.get("threadContainers")) {
            Map<String, Object> container = (Map<String, Object>) c;
            String containerName = String.valueOf(container.get("container"));
            for (Object t : (List<Object>) container.get("threads")) {
                Map<String, Object> thread = (Map<String, Object>) t;
                if (!Boolean.TRUE.equals(thread.get("virtual"))) {
                    continue;
                }
                List<String> stack = new ArrayList<>();
                Object frames = thread.get("stack");
                if (frames instanceof List<?> list) {
                    for (Object f : list) {
                        stack.add(String.valueOf(f));
                    }
                }
                found.add(new VirtualThread(Long.parseLong(String.valueOf(thread.get("tid"))),
                        String.valueOf(thread.getOrDefault("name", "")), String.valueOf(thread.get("state")),
                        containerName, List.copyOf(stack)));
            }
        }
        return found;
    }
}
