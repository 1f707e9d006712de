package io.gochan.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A body held until its turn to be printed (R53): in memory up to {@code memoryLimit} bytes, beyond that in a
 * temporary file of its own, so {@code fetch} of several large bodies at once keeps memory bounded whatever their
 * size. It holds at most {@code diskLimit} bytes in all (R63): a body sent without end fails with a
 * {@link SpoolFullException} instead of filling the disk until the fetch's timeout. {@link #close()} deletes the
 * file; one thread fills a spool, then one thread copies it out.
 */
final class Spool implements AutoCloseable {
    /** What a spool keeps in memory before it moves to a file: a page of text stays in memory, an image does not. */
    static final int DEFAULT_MEMORY_LIMIT = 1 << 20;
    /**
     * What a spool holds at most, memory and file together (R63), unless {@code --max-spool} says otherwise:
     * enough for any page or download printed beside others, while an endless body sent at loopback speed
     * (1 to 3.4 GB in 5 s, measured) stops within a second instead of writing tens of gigabytes before a 30 s
     * {@code --timeout}, or without end without one (the default bounds only silences, R99).
     */
    static final long DEFAULT_DISK_LIMIT = 256L << 20;

    /**
     * What all the spools of one {@code fetch} keep in memory together, at most (R131): an eighth of the heap, but
     * never less than one spool's {@link #DEFAULT_MEMORY_LIMIT}. Each spool keeps up to its own limit in memory until it
     * is printed, and all wait for the last fetch: without a bound for them all, a few hundred bodies under 1 MiB
     * exhausted the heap (the run then died with an {@code OutOfMemoryError}, or spun in the collector and ignored a
     * SIGTERM). A spool that finds the shared bound spent moves to its file at once.
     *
     * @return a new budget, shared by the spools of one run
     */
    static java.util.concurrent.atomic.AtomicLong sharedMemoryBudget() {
        return new java.util.concurrent.atomic.AtomicLong(Math.max(DEFAULT_MEMORY_LIMIT, Runtime.getRuntime().maxMemory() / 8));
    }

    private final int memoryLimit;
    private final long diskLimit;
    /** What all spools sharing it may still keep in memory; this spool's bytes in memory are taken from it. */
    private final java.util.concurrent.atomic.AtomicLong memoryBudget;
    private final ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileStream;
    private long length;

    Spool(int memoryLimit, long diskLimit) {
        this(memoryLimit, diskLimit, new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE));
    }

    Spool(int memoryLimit, long diskLimit, java.util.concurrent.atomic.AtomicLong memoryBudget) {
        this.memoryLimit = memoryLimit;
        this.diskLimit = diskLimit;
        this.memoryBudget = memoryBudget;
    }

    /** Reads {@code in} to its end into this spool; on failure what was read so far stays (and is deleted on close). */
    void fill(InputStream in) throws IOException {
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            write(buf, n);
        }
    }

    private void write(byte[] buf, int n) throws IOException {
        if (length + n > diskLimit) {
            throw new SpoolFullException("the body is larger than the " + diskLimit + " bytes it may hold while it waits"
                    + " for its turn to be printed (--max-spool; or fetch this URL alone, which streams it)");
        }
        if (fileStream == null && (memory.size() + (long) n > memoryLimit || !takeFromBudget(n))) {
            // Ctrl-C (or a kill) ends the JVM without running close(): the shutdown deletes the file then, or an
            // interrupted run would leave up to --max-spool bytes per URL in the temporary directory (R71).
            file = ExitCleanup.run().create(() -> Files.createTempFile("gochan-fetch-", ".body"), p -> p);
            fileStream = Files.newOutputStream(file);
            memory.writeTo(fileStream);
            memoryBudget.addAndGet(memory.size()); // in the file now: the others may keep as much in memory
            memory.reset();
        }
        (fileStream != null ? fileStream : memory).write(buf, 0, n);
        length += n;
    }

    /** Takes {@code n} bytes of the shared memory budget, or nothing and false if it has not that many left. */
    private boolean takeFromBudget(int n) {
        if (memoryBudget.addAndGet(-n) >= 0) {
            return true;
        }
        memoryBudget.addAndGet(n);
        return false;
    }

    /** How many bytes the spool holds. */
    long length() {
        return length;
    }

    /** The file the spool moved to once it held more than its memory limit, or null while it is in memory. */
    Path file() {
        return file;
    }

    /** Writes everything the spool holds to {@code out}, in order. */
    void copyTo(OutputStream out) throws IOException {
        if (file == null) {
            memory.writeTo(out);
            return;
        }
        fileStream.flush();
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(out);
        }
    }

    /** Deletes the spool's file, if it made one, and gives its memory back to the shared budget. */
    @Override
    public void close() throws IOException {
        memoryBudget.addAndGet(memory.size()); // printed or given up: its memory is the others' again
        memory.reset();
        IOException failed = null;
        try {
            if (fileStream != null) {
                fileStream.close();
            }
        } catch (IOException e) {
            failed = e;
        }
        if (file != null) {
            try {
                Files.deleteIfExists(file);
                ExitCleanup.run().forget(file); // kept if the delete failed: the shutdown tries again
            } catch (IOException e) {
                // Both failed: the first is thrown, the delete's added to it, never in its place.
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
