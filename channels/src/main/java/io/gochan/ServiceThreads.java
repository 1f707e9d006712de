package io.gochan;

import java.util.concurrent.ThreadFactory;

/**
 * The platform threads gochan starts for itself and that then serve the whole JVM: the timer thread
 * ({@code gochan-timer}), the timer hand-off threads ({@code gochan-timer-handoff-N}) and the cleaner that reports
 * unobserved failures ({@code gochan-unobserved-failures}). Rule TM17: such a thread takes nothing from the thread
 * whose call happens to start it (the first timer, the first deadline, a busy delivery, the first future). Not its
 * thread group (an application's, with its own uncaught-exception handling, or the virtual threads' group), but a
 * group of their own under the JVM's root group. Not its priority (a low-priority caller would slow every timer of
 * the JVM), but the normal one. Not its context class loader (an application's loader, which the thread would keep
 * alive for ever and lend to whatever it runs), but the system class loader. Not its inheritable thread-locals.
 * The HTTP transport has its twin for its own threads ({@code io.gochan.http.internal.conn.ServiceThreads}): this
 * class is package-private and this module exports nothing of the kind, so the module boundary keeps them apart.
 */
final class ServiceThreads {
    /** The group of gochan's own threads: a child of the JVM's root group, not of any caller's group. */
    static final ThreadGroup GROUP = new ThreadGroup(rootGroup(), "gochan");

    private ServiceThreads() {}

    /**
     * A daemon platform thread, not started, that takes nothing from the calling thread (TM17).
     *
     * @param name the thread's name
     * @param task what it runs
     * @return the thread
     */
    static Thread unstarted(String name, Runnable task) {
        return withSystemLoader(builder().name(name).unstarted(task));
    }

    /**
     * A factory of daemon platform threads, not started, that take nothing from the thread calling it (TM17): a
     * pool's, which makes its threads on whichever thread hands it work.
     *
     * @param prefix the threads' name, followed by a counter from 0
     * @return the factory
     */
    static ThreadFactory factory(String prefix) {
        ThreadFactory threads = builder().name(prefix, 0).factory();
        return task -> withSystemLoader(threads.newThread(task));
    }

    private static Thread.Builder.OfPlatform builder() {
        // The group and the priority are given: a builder's default is the calling thread's (its group, and its
        // priority capped by that group's maximum).
        return Thread.ofPlatform().group(GROUP).priority(Thread.NORM_PRIORITY).daemon()
                .inheritInheritableThreadLocals(false);
    }

    /** {@code t}, its context class loader set to the system class loader (not the caller's) before it starts. */
    private static Thread withSystemLoader(Thread t) {
        // A thread that inherits no thread-locals gets the system class loader already (JDK 21's Thread
        // constructor): said here rather than left to that detail of the JDK.
        t.setContextClassLoader(ClassLoader.getSystemClassLoader());
        return t;
    }

    /** The JVM's root thread group, found from the calling thread's group. */
    private static ThreadGroup rootGroup() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        for (ThreadGroup parent; (parent = root.getParent()) != null; ) {
            root = parent;
        }
        return root;
    }
}
