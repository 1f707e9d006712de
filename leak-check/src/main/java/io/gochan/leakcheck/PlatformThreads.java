package io.gochan.leakcheck;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.regex.Pattern;

/**
 * The live platform threads a window created that are not the JDK's or the test runner's own (LK11).
 * Platform threads, unlike virtual ones, are listed with their stacks by {@link Thread#getAllStackTraces()}
 * and can be joined, so no thread dump is needed.
 */
final class PlatformThreads {
    /**
     * Threads that a test's first use of something starts and that then serve the whole run, not the test:
     * JUnit's timeout thread (a test with {@code @Timeout}), gochan's own cleaners' threads (unobserved failures, unclosed
     * response bodies: each a {@code Cleaner} made at its first use, LK52), gochan's own timer thread (the first timer) and its hand-off threads (a deadline, a busy timer
     * delivery; they end after a second idle), and the transport's Unix socket poller (the first wait on a
     * Unix socket, R95; it serves every Unix socket of the JVM, as the JDK's own {@code Read-Poller} serves
     * its sockets).
     */
    private static final List<Pattern> SHARED = Config.patterns(new String[] {
            "junit-(jupiter-)?timeout-.*", "gochan-unobserved-failures", "gochan-body-cleaner", "gochan-timer", "gochan-timer-handoff-\\d+", "gochan-unix-poller"});

    private PlatformThreads() {}

    /**
     * A platform thread still running, with the stack it had when listed.
     *
     * @param role what the thread is, when the check knows better than its name says (LK39: a JDK {@code HttpServer}'s
     *             thread; LK44: a JDK {@code HttpClient}'s; LK45: a JDK {@code WatchService}'s; LK46: a JDK
     *             {@code AsynchronousChannelGroup}'s; LK47: a JFR event stream's; LK48: an RMI export's; LK59: a JMX
     *             client's; LK61: an LDAP connection's), written after its
     *             head line; empty if not
     */
    record Suspect(Thread thread, List<String> stack, boolean commonPoolTask, String role) {}

    /**
     * {@return the live platform threads created after {@code startMark} and before {@code endMark}
     * (thread ids, which are handed out in creation order), oldest first, except the JDK's own and those
     * {@code ignored} excuses}
     *
     * @param ignored whether the configuration excuses a thread, given its name and stack functions
     * @param ran while what they were made, for the role of a JDK server's thread ({@link JdkServers#role}, LK41)
     */
    static List<Suspect> createdBetween(long startMark, long endMark, Ignore ignored, String ran) {
        List<Suspect> found = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            long id = t.threadId();
            if (id <= startMark || id >= endMark || t == Thread.currentThread() || !t.isAlive()) {
                continue;
            }
            List<String> functions = Frames.functions(e.getValue());
            if (isRuntimes(t, functions) || ignored.test(t.getName(), functions)) {
                continue;
            }
            found.add(new Suspect(t, lines(e.getValue()), false, role(t, functions, ran)));
        }
        found.sort(Comparator.comparingLong(s -> s.thread().threadId()));
        return found;
    }

    /**
     * LK11: whether a platform thread is the runtime's, not the code's that made it start, judged from its stack as
     * sampled now ({@code functions}, innermost first). A thread of an object of the user's that the JDK runs (LK39, LK44
     * to LK48) is told by what it is at every moment of its life, not only once it is in its loop: the check samples a
     * thread once when the test ends, maybe a moment after it started, and a thread it excuses then is never looked at
     * again.
     */
    static boolean isRuntimes(Thread t, List<String> functions) {
        // LK45: a JDK WatchService's poller is an innocuous thread, but the test opened the service. LK48: an RMI
        // export's threads are in the JVM's own group, but the test exported the object.
        // LK52: a Cleaner's thread is an innocuous thread running the JDK's code, but the test made the cleaner.
        boolean watchService = JdkWatchServices.isPoller(t, functions);
        boolean rmiExport = JdkRmiExports.isExportThread(t, functions);
        boolean cleaner = JdkCleaners.isCleanerThread(t, functions) && !Config.anyMatches(SHARED, t.getName()); // not gochan's
        if (isShared(t, functions) && !watchService && !rmiExport && !cleaner) {
            return true;
        }
        // LK39, LK44: a JDK HttpServer's dispatcher and a JDK HttpClient's selector thread run the JDK's code only,
        // but the test started the server, built the client: not the JDK's own.
        // LK46, LK47: so do a user's asynchronous channel group's threads and a JFR event stream's thread; LK59: a JMX
        // client's heartbeat; LK61: an LDAP connection's reader.
        boolean jdkOwn = isJdkCode(functions) && !watchService && !rmiExport && !JdkServers.isDispatcher(functions)
                && !JdkHttpClients.isSelector(functions) && !JdkChannelGroups.isEventLoop(functions)
                && !JdkEventStreams.isStreamThread(t, functions) && !cleaner && !JdkJmxClients.isClientThread(functions) // LK59
                && !JdkLdapConnections.isReader(functions); // LK61
        return jdkOwn || isJdkDelayer(t, functions);
    }

    /**
     * LK39, LK44 to LK48: what a thread of a JDK server, client, watch service, channel group, event stream or RMI export
     * is, for the report; empty if none.
     */
    static String role(Thread t, List<String> functions, String ran) {
        String role = JdkServers.role(t, functions, ran);
        if (role.isEmpty()) {
            role = JdkHttpClients.role(t, functions, ran);
        }
        if (role.isEmpty()) {
            role = JdkWatchServices.role(t, functions, ran);
        }
        if (role.isEmpty()) {
            role = JdkChannelGroups.role(functions, ran);
        }
        if (role.isEmpty()) {
            role = JdkEventStreams.role(t, functions, ran);
        }
        if (role.isEmpty()) {
            role = JdkCleaners.role(t, functions, ran);
        }
        if (role.isEmpty()) {
            role = JdkJmxClients.role(functions, ran);
        }
        if (role.isEmpty()) {
            role = JdkLdapConnections.role(functions, ran);
        }
        return role.isEmpty() ? JdkRmiExports.role(t, functions, ran) : role;
    }

    /**
     * LK13, LK55: the threads the runtime shares across the JVM ({@link #isRuntimePooled}) running code of the user's
     * now, each with its task's entry. Not the common pool's active count: a worker blocked in a task through the pool's
     * managed blocking (a {@code join()}, a {@code get()}, a blocking queue's {@code take()}) counts as inactive while it
     * runs that task (LK50); and the JDK's other shared threads have no count at all. One stack listing (about 0.15 ms).
     */
    static Map<Thread, List<String>> busyCommonPoolWorkers() {
        Map<Thread, List<String>> busy = new java.util.HashMap<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            List<String> functions = Frames.functions(e.getValue());
            if (isRuntimePooled(e.getKey()) && runsUserCode(functions)) {
                busy.put(e.getKey(), taskEntry(functions));
            }
        }
        return busy;
    }

    /**
     * LK15: the frames that identify the task a worker runs, from the bottom of its stack up to the first frame of
     * user code (the task's entry, a lambda, a {@code compute} method). They do not change while the task runs,
     * whatever it calls (a join that runs another task on top of it included); a different task has a different
     * entry, unless it runs the same code.
     */
    private static List<String> taskEntry(List<String> functions) {
        for (int i = functions.size() - 1; i >= 0; i--) {
            if (!Frames.isMachinery(functions.get(i))) {
                return List.copyOf(functions.subList(i, functions.size()));
            }
        }
        return List.of();
    }

    /**
     * LK13, LK55: the threads the runtime shares across the JVM ({@link #isRuntimePooled}: the common pool's workers, its
     * delay scheduler, the JDK's innocuous threads, the JVM's finalizer and notification threads) running code of the
     * user's ({@code CompletableFuture.runAsync}, a parallel stream, a completion handler of an asynchronous channel, an
     * action after {@code orTimeout}, a cleaning action, a {@code finalize()}, a notification listener) other than the task
     * they ran when the window began ({@code before}: a thread and its task's entry, LK15), oldest first, except those
     * {@code ignored} excuses. The threads themselves are the runtime's (LK11), whenever they were made; the code the test
     * left running on one is the leak, and it holds up everything else that thread serves.
     */
    static List<Suspect> commonPoolTasks(Map<Thread, List<String>> before, Ignore ignored) {
        List<Suspect> found = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (!isRuntimePooled(t) || !t.isAlive()) {
                continue;
            }
            List<String> functions = Frames.functions(e.getValue());
            if (!runsUserCode(functions) || taskEntry(functions).equals(before.get(t)) || ignored.test(t.getName(), functions)) {
                continue;
            }
            boolean worker = isCommonPoolWorker(t);
            found.add(new Suspect(t, lines(e.getValue()), worker, worker ? "" : "a thread the JDK shares across the JVM,"
                    + " running code of the test's that it left there: it holds up everything else that thread serves (LK55)"));
        }
        found.sort(Comparator.comparingLong(s -> s.thread().threadId()));
        return found;
    }

    static List<String> lines(StackTraceElement[] frames) {
        List<String> stack = new ArrayList<>(frames.length);
        for (StackTraceElement f : frames) {
            stack.add(f.toString());
        }
        return stack;
    }

    private static boolean isCommonPoolWorker(Thread t) {
        return t instanceof ForkJoinWorkerThread w && w.getPool() == ForkJoinPool.commonPool();
    }

    /**
     * LK55: whether the runtime shares {@code t} across the JVM and runs on it code its users hand it: a common-pool
     * worker (LK13), the runtime's delay schedulers (an action after {@code orTimeout}, a {@code delayedExecutor}'s task),
     * the JDK's innocuous threads (the default pool of asynchronous channels, the common cleaner's actions), and the JVM's
     * {@code Finalizer} and {@code Notification Thread} (a {@code finalize()}, a GC notification's listener). Such a thread
     * is never a leak itself; code of the user's left on it is.
     */
    private static boolean isRuntimePooled(Thread t) {
        if (isRuntimePoolWorker(t)) {
            return true;
        }
        ThreadGroup g = t.getThreadGroup();
        return g != null && g.getParent() == null && t.getClass().getName().startsWith("java.lang.")
                && (t.getName().equals("Finalizer") || t.getName().equals("Notification Thread"));
    }

    /**
     * LK11, LK55: a thread of one of the runtime's pools, told by its class alone (so it is the runtime's whatever it
     * runs): a common-pool worker, a JDK innocuous thread, a runtime pool's delay scheduler (LK51). The one place that
     * decides it, for both the thread's own judgement ({@link #isShared}) and the code left on it ({@link #isRuntimePooled}).
     */
    private static boolean isRuntimePoolWorker(Thread t) {
        String cls = t.getClass().getName();
        return isCommonPoolWorker(t) || cls.equals("jdk.internal.misc.InnocuousThread")
                || cls.equals("java.util.concurrent.DelayScheduler") && isRuntimeDelayer(t);
    }

    /**
     * LK51: whether a {@code DelayScheduler} is one of the runtime's pools': the virtual-thread scheduler's (in the
     * carriers' group) or the common pool's. A pool of the user's starts one for its first delayed task, before any worker.
     */
    private static boolean isRuntimeDelayer(Thread t) {
        // The carriers' group is a child of the JVM's system group (JDK 21 to 25); a group of the user's so named is a
        // child of the test's own group (a DelayScheduler inherits its starter's group), and is not it.
        ThreadGroup g = t.getThreadGroup();
        boolean carriers = g != null && "CarrierThreads".equals(g.getName()) && g.getParent() != null
                && g.getParent().getParent() == null;
        return carriers || t.getName().equals("ForkJoinPool.commonPool-delayScheduler");
    }

    /** An idle worker's stack is the pool's code alone; one running a task has a frame outside the JDK and gochan. */
    private static boolean runsUserCode(List<String> functions) {
        return !Frames.top(functions).isEmpty();
    }

    /**
     * True for threads that belong to the runtime, not to whoever's code made them start: the test runner's
     * parallel workers, the virtual-thread scheduler's carriers and its delay scheduler (JDK 25 starts it at the first timed wait of a virtual
     * thread) and the common pool's (a pool of the user's may have one before any worker: reported, LK51), the common pool's
     * workers (they end by themselves once idle), the JDK's innocuous system threads, the JVM's own (its
     * {@code system} thread group), and {@link #SHARED}.
     */
    private static boolean isShared(Thread t, List<String> functions) {
        String cls = t.getClass().getName();
        // A DelayScheduler of a pool of the user's is not one of the runtime's pools' (LK51): a pool of the user's
        // starts one for its first delayed task, before any worker; then it is all the pool has running, and it is the
        // test's leak.
        if (cls.equals("jdk.internal.misc.CarrierThread") || isRuntimePoolWorker(t)) {
            return true;
        }
        if (cls.startsWith("org.junit.")) {
            // The test runner's own workers (parallel execution: JUnit's fork-join and worker-pool executors make
            // their threads of their own classes), which may start while a test runs and then serve the others.
            return true;
        }
        ThreadGroup group = t.getThreadGroup();
        if (group != null && group.getParent() == null && Frames.runsRuntimeCodeOnly(functions)) {
            // The JVM's own "system" group: threads it attaches itself, such as JFR's recorder (started by a
            // test's recording), which has no Java frame at all. (A thread just started has none yet either:
            // that is why a missing stack alone excuses nothing outside this group.) LK54: a thread of the user's
            // that the user put in this group runs the user's code, and is the user's.
            return true;
        }
        if (isRmiConnectionWorker(t, group, functions)) {
            return true;
        }
        return Config.anyMatches(SHARED, t.getName());
    }

    /**
     * LK60: a worker of the JDK's RMI runtime's connection pool ({@code "RMI TCP Connection(N)-host"} while it serves a
     * connection, {@code "RMI TCP Connection(idle)"} between connections), in RMI's own {@code "RMI Runtime"} group, a
     * child of the JVM's system group that no code of the user's is given. The pool serves every RMI connection the JVM
     * accepts (a JMX client's, a registry lookup's) and its idle workers end by themselves a minute after, as the common
     * pool's do; while one serves, its code is RMI's (LK11 already excused it then). Idle, its stack is the JDK's pool
     * code alone, as an idle pool of the user's is (LK16): a test that connected a JMX client to a server in the same
     * JVM and closed both failed for it.
     */
    private static boolean isRmiConnectionWorker(Thread t, ThreadGroup group, List<String> functions) {
        return group != null && "RMI Runtime".equals(group.getName()) && group.getParent() != null
                && group.getParent().getParent() == null && t.getClass() == Thread.class
                && t.getName().startsWith("RMI TCP Connection(") && Frames.runsRuntimeCodeOnly(functions);
    }

    /**
     * LK11, LK56: true for a thread the JDK starts at the first use of something and keeps for the whole JVM, whose frames
     * are all {@code java.*} (so {@link #isJdkCode} does not tell it from a pool of the user's): told by its name and the
     * JDK's exact shape, so that a thread of the user's that only takes the name (another class, not a daemon, user code
     * on its stack) is still reported.
     * <ul>
     *   <li>{@code CompletableFutureDelayScheduler}, JDK 21 to 24 ({@code orTimeout}, {@code completeOnTimeout},
     *       {@code delayedExecutor}; JDK 25 schedules on the common pool's delay scheduler): a plain daemon
     *       {@code Thread} of a {@code ThreadPoolExecutor}.</li>
     *   <li>{@code JFR Recording Scheduler} (a recording given a duration or a scheduled start): the flight recorder's
     *       one daemon {@code java.util.Timer}, never cancelled.</li>
     *   <li>{@code JMX Monitor Scheduler Pool [Thread-N]} and the {@code JMX Monitor ... Executor Pool} workers (a
     *       {@code javax.management.monitor} monitor started): the monitors' JVM-wide scheduler and their executors,
     *       plain daemon {@code Thread}s of a {@code ThreadPoolExecutor}.</li>
     * </ul>
     */
    private static boolean isJdkDelayer(Thread t, List<String> functions) {
        String name = t.getName();
        // javax.management: a monitor's task, the JDK's own code (no class of the user's can be in that package).
        boolean javaOnly = t.isDaemon() && functions.stream().allMatch(f -> f.startsWith("java.") || f.startsWith("jdk.internal.")
                || f.startsWith("javax.management."));
        if (!javaOnly) {
            return false;
        }
        if (name.equals("JFR Recording Scheduler")) {
            return t.getClass().getName().equals("java.util.TimerThread") && functions.contains("java.util.TimerThread.mainLoop");
        }
        boolean poolWorker = t.getClass() == Thread.class && functions.contains("java.util.concurrent.ThreadPoolExecutor$Worker.run");
        if (name.equals("CompletableFutureDelayScheduler")) {
            // Not gated on the JDK's version: the rule's test (LeakAttributionEdgesTest) shapes one on JDK 25, the only
            // JDK CI has, to prove the JDK 21-24 path; a thread of the user's so named and shaped is a contrived disguise.
            return poolWorker;
        }
        return poolWorker && JMX_MONITOR.matcher(name).matches();
    }

    /** LK56: the names the JMX monitors' JVM-wide threads take ({@code javax.management.monitor.Monitor}, JDK 21 to 25). */
    private static final Pattern JMX_MONITOR = Pattern.compile(
            "JMX Monitor Scheduler Pool \\[Thread-\\d+\\]|JMX Monitor .+ Executor Pool \\[Thread-\\d+\\]");

    /**
     * True if the thread runs the JDK's own code ({@link Frames#isJdkInternal}), judged without the frames
     * where every thread waits ({@code jdk.internal.misc.Unsafe.park} and the like): an idle pool worker's
     * stack is {@code java.*} down to that park, and it is the pool's owner's thread, not the JDK's.
     */
    private static boolean isJdkCode(List<String> functions) {
        return Frames.isJdkInternal(functions.stream().filter(f -> !f.startsWith("jdk.internal.misc.")).toList());
    }

    /** Whether the check's configuration excuses a thread. */
    @FunctionalInterface
    interface Ignore {
        boolean test(String name, List<String> functions);
    }
}
