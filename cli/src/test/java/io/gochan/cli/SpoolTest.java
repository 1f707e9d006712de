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
        try (Spool spool = new Spool(10)) {
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
        try (Spool spool = new Spool(10)) {
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
        Spool spool = new Spool(4);
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
}
