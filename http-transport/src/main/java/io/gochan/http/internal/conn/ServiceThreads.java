package io.gochan.http.internal.conn;

/**
 * The platform threads the transport starts for itself and that then serve the whole JVM: the Unix socket poller
 * ({@code gochan-unix-poller}, R107) and the cleaner of unclosed response bodies ({@code gochan-body-cleaner}, TM17).
 * Such a thread is made on whichever thread's call happens to need it first, and takes nothing from that thread: not
 * its thread group (an application's, with its own uncaught-exception handling, or the virtual threads' group) but
 * one under the JVM's root group; not its priority (a low-priority caller would slow every socket's wake-ups) but the
 * normal one; not its context class loader (an application's loader, which the thread would keep alive and lend to
 * whatever it runs) but the system class loader; not its inheritable thread-locals.
 *
 * <p>The channels module has its own {@code io.gochan.ServiceThreads} for its threads (the timer, the cleaner of
 * unobserved failures), to the same rule: that one is package-private in another module, which exports nothing of the
 * kind, and this module exports nothing of this; so the two stay separate copies, each a few lines.
 */
final class ServiceThreads {
    private ServiceThreads() {}

    /**
     * A daemon platform thread, not started, in {@code group}, that takes nothing from the calling thread: the normal
     * priority, the system class loader as its context class loader, no inherited thread-locals.
     *
     * @param name the thread's name
     * @param group its group: one under {@link #rootGroup()}, not the caller's
     * @param task what it runs
     * @return the thread
     */
    static Thread unstarted(String name, ThreadGroup group, Runnable task) {
        // The group and the priority are given: a builder's default is the calling thread's (its group, and its
        // priority capped by that group's maximum).
        Thread t = Thread.ofPlatform().name(name).group(group).priority(Thread.NORM_PRIORITY).daemon()
                .inheritInheritableThreadLocals(false).unstarted(task);
        t.setContextClassLoader(ClassLoader.getSystemClassLoader());
        return t;
    }

    /** {@return the JVM's root thread group, found from the calling thread's} */
    static ThreadGroup rootGroup() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        for (ThreadGroup parent; (parent = root.getParent()) != null; ) {
            root = parent;
        }
        return root;
    }
}
