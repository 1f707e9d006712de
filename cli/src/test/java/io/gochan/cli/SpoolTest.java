package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** R53: a spool keeps a body in memory up to its limit, in a file of its own beyond it, and deletes the file on close. */
class SpoolTest {
    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void R53_aBodyWithinTheLimitStaysInMemory() throws IOException {
        try (Spool spool = new Spool(10, Spool.DEFAULT_DISK_LIMIT)) {
            spool.fill(new ByteArrayInputStream(bytes(10)));
            assertThat(spool.file()).isNull();
            assertThat(spool.length()).isEqualTo(10);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            spool.copyTo(out);
            assertThat(out.toByteArray()).isEqualTo(bytes(10));
        }
    }

    @Test
    void R53_aBodyBeyondTheLimitMovesToAFileDeletedOnClose() throws IOException {
        Path file;
        try (Spool spool = new Spool(10, Spool.DEFAULT_DISK_LIMIT)) {
            spool.fill(new ByteArrayInputStream(bytes(100_000)));
            file = spool.file();
            assertThat(file).isNotNull().exists();
            assertThat(spool.length()).isEqualTo(100_000);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            spool.copyTo(out);
            assertThat(out.toByteArray()).isEqualTo(bytes(100_000));
        }
        assertThat(file).doesNotExist();
    }

    @Test
    void R53_aFailedFillKeepsWhatWasReadAndCloseStillDeletes() throws IOException {
        Spool spool = new Spool(4, Spool.DEFAULT_DISK_LIMIT);
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n == 8) {
                    throw new IOException("cut");
                }
                return n++;
            }
        };
        assertThatThrownBy(() -> spool.fill(failing)).isInstanceOf(IOException.class).hasMessage("cut");
        assertThat(spool.length()).isEqualTo(8);
        Path file = spool.file();
        assertThat(file).exists();
        spool.close();
        assertThat(Files.exists(file)).isFalse();
    }

    /**
     * R63: a spool holds at most its disk limit, memory and file together: the write that would pass it fails with a
     * {@link SpoolFullException} naming the limit and writes nothing more; close still deletes the file. Before,
     * a spool took whatever came until the fetch's timeout.
     */
    @Test
    void R63_aSpoolRefusesToGrowPastItsLimit() throws IOException {
        Spool spool = new Spool(4, 100);
        InputStream endless = new InputStream() { // ten bytes a read, as a socket gives what has arrived
            @Override
            public int read() {
                return 'e';
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = Math.min(len, 10);
                java.util.Arrays.fill(b, off, off + n, (byte) 'e');
                return n;
            }
        };
        assertThatThrownBy(() -> spool.fill(endless)).isInstanceOf(SpoolFullException.class)
                .hasMessageContaining("larger than the 100 bytes").hasMessageContaining("--max-spool");
        assertThat(spool.length()).as("everything up to the limit, nothing past it").isEqualTo(100);
        Path file = spool.file();
        assertThat(file).exists();
        assertThat(Files.size(file)).isEqualTo(spool.length());
        spool.close();
        assertThat(Files.exists(file)).isFalse();
    }

    @Test
    void R63_sizesAreBytesOrBinaryMultiples() {
        assertThat(Fetch.parseSize("1")).isEqualTo(1);
        assertThat(Fetch.parseSize("4k")).isEqualTo(4096);
        assertThat(Fetch.parseSize("256M")).isEqualTo(256L << 20);
        assertThat(Fetch.parseSize("2G")).isEqualTo(2L << 30);
        for (String bad : new String[] {"", "0", "-1", "M", "1.5M", "1T", "99999999999999999999", "8589934592G", " 1"}) {
            assertThatThrownBy(() -> Fetch.parseSize(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a size");
        }
    }

    /**
     * R131: the spools of one run share a memory budget. A spool that finds it spent moves to its file at once; one
     * printed and closed gives its memory back. (Session 44's CLI audit: 300 bodies under 1 MiB each, all held in memory
     * until the last fetch ended, exhausted a 192 MiB heap.)
     */
    @Test
    void R131_spoolsShareOneMemoryBudgetAndGiveItBackOnClose() throws IOException {
        java.util.concurrent.atomic.AtomicLong budget = new java.util.concurrent.atomic.AtomicLong(10);
        Spool first = new Spool(8, Spool.DEFAULT_DISK_LIMIT, budget);
        Spool second = new Spool(8, Spool.DEFAULT_DISK_LIMIT, budget);
        Path secondFile;
        try {
            first.fill(new ByteArrayInputStream(bytes(8)));
            assertThat(first.file()).as("within its own limit and the budget").isNull();
            assertThat(budget.get()).isEqualTo(2);
            second.fill(new ByteArrayInputStream(bytes(5)));
            secondFile = second.file();
            assertThat(secondFile).as("the budget is spent: to its file").isNotNull().exists();
            assertThat(budget.get()).as("a spool in its file keeps nothing of the budget").isEqualTo(2);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            second.copyTo(out);
            assertThat(out.toByteArray()).isEqualTo(bytes(5));
        } finally {
            first.close();
            second.close();
        }
        assertThat(budget.get()).as("all given back").isEqualTo(10);
        assertThat(secondFile).doesNotExist();
        Spool third = new Spool(8, Spool.DEFAULT_DISK_LIMIT, budget);
        try {
            third.fill(new ByteArrayInputStream(bytes(8)));
            assertThat(third.file()).as("memory again once the others gave theirs back").isNull();
        } finally {
            third.close();
        }
    }

    /** R131: the shared budget is an eighth of the heap, never less than one spool's memory limit. */
    @Test
    void R131_theSharedBudgetIsAnEighthOfTheHeap() {
        assertThat(Spool.sharedMemoryBudget().get())
                .isEqualTo(Math.max(Spool.DEFAULT_MEMORY_LIMIT, Runtime.getRuntime().maxMemory() / 8));
    }
}
