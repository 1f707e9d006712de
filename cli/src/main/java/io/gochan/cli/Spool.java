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
 * size. {@link #close()} deletes the file; one thread fills a spool, then one thread copies it out.
 */
final class Spool implements AutoCloseable {
    /** What a spool keeps in memory before it moves to a file: a page of text stays in memory, an image does not. */
    static final int DEFAULT_MEMORY_LIMIT = 1 << 20;

    private final int memoryLimit;
    private final ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileStream;
    private long length;

    Spool(int memoryLimit) {
        this.memoryLimit = memoryLimit;
    }

    /** Reads {@code in} to its end into this spool; on failure what was read so far stays (and is deleted on close). */
    void fill(InputStream in) throws IOException {
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            write(buf, n);
        }
    }

    private void write(byte[] buf, int n) throws IOException {
        if (fileStream == null && memory.size() + (long) n > memoryLimit) {
            file = Files.createTempFile("gochan-fetch-", ".body");
            fileStream = Files.newOutputStream(file);
            memory.writeTo(fileStream);
            memory.reset();
        }
        (fileStream != null ? fileStream : memory).write(buf, 0, n);
        length += n;
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

    /** Deletes the spool's file, if it made one. */
    @Override
    public void close() throws IOException {
        try {
            if (fileStream != null) {
                fileStream.close();
            }
        } finally {
            if (file != null) {
                Files.deleteIfExists(file);
            }
        }
    }
}
