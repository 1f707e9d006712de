package io.gochan.cli;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The files a run makes that must not outlive it (R71): a spool file ({@code gochan-fetch-*.body}) and an {@code -o}
 * part file. Each is created and recorded in one step, under one lock, that the JVM's shutdown takes too: the shutdown
 * deletes every file recorded, and a file not created yet when the shutdown began is never created (the creation
 * fails with an {@link IOException} instead). So a Ctrl-C or a kill at any instant leaves none of them.
 *
 * <p>Why not {@link java.io.File#deleteOnExit()}: a file is created first and registered after, so a kill between the
 * two left it; and once the JDK's own hook has run, a registration throws {@link IllegalStateException} ("Shutdown in
 * progress") and the file made just before stays. Goroutines go on running during the shutdown, so both windows were
 * met (a fetch of two URLs killed as the first spool file appeared left the second's in 1 to 2 runs of 20).
 *
 * <p>The lock is held while a file is created (blocking file system calls): a {@link ReentrantLock}, never a monitor,
 * so no carrier is pinned. The hook is added at the first creation, so a run that makes no such file adds none.
 */
final class ExitCleanup {
    /** A creation that may throw an {@link IOException}. */
    @FunctionalInterface
    interface Creation<T> {
        T create() throws IOException;
    }

    private static final System.Logger LOG = System.getLogger(ExitCleanup.class.getName());
    private static final ExitCleanup RUN = new ExitCleanup(true);

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Path> files = new LinkedHashSet<>();
    private final boolean hookWhenUsed;
    private boolean hooked;
    private boolean ended;

    /** A cleanup whose {@link #end()} runs only when called (tests); {@code hookWhenUsed} ties it to the JVM's exit. */
    ExitCleanup(boolean hookWhenUsed) {
        this.hookWhenUsed = hookWhenUsed;
    }

    /** This run's cleanup, ended by the JVM's shutdown. */
    static ExitCleanup run() {
        return RUN;
    }

    /**
     * Runs {@code creation} and records the file it made ({@code pathOf} its result), both before the shutdown can
     * delete anything; throws an {@link IOException} without running {@code creation} once the shutdown began.
     */
    <T> T create(Creation<T> creation, Function<? super T, Path> pathOf) throws IOException {
        lock.lock();
        try {
            if (!ended && hookWhenUsed && !hooked) {
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(this::end, "gochan-exit-cleanup"));
                    hooked = true;
                } catch (IllegalStateException shuttingDown) {
                    ended = true; // the JVM is exiting: nothing that could be left may be made now
                }
            }
            if (ended) {
                throw new IOException("the run is ending (interrupted or killed): no temporary file is made now");
            }
            T made = creation.create();
            files.add(pathOf.apply(made));
            return made;
        } finally {
            lock.unlock();
        }
    }

    /** Forgets {@code file}: deleted by its owner, or moved to where it belongs (an {@code -o} FILE is never deleted). */
    void forget(Path file) {
        lock.lock();
        try {
            files.remove(file);
        } finally {
            lock.unlock();
        }
    }

    /** Deletes every file still recorded and refuses all creations from now on; the shutdown hook's job. */
    void end() {
        lock.lock();
        try {
            ended = true;
            List<Path> left = List.copyOf(files);
            files.clear();
            // Deleted under the lock: a creation that waited for it sees "ended" and makes nothing.
            for (Path f : left) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "could not delete " + f + " as the run ended", e);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The files recorded now (tests). */
    Set<Path> recorded() {
        lock.lock();
        try {
            return Set.copyOf(files);
        } finally {
            lock.unlock();
        }
    }
}
