package io.gochan.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * R71: a file the run makes (a spool file, an {@code -o} part file) is made and recorded in one step that the end of
 * the run cannot split, so a kill at any instant leaves none. {@code CliOddInputTest} kills real runs; this drives the
 * step against the end directly, including the race between the two (before, a kill as the first spool file appeared
 * left another URL's spool file in 1 to 2 runs of 20: made before its {@code deleteOnExit}, or after the JDK's hook ran).
 */
class ExitCleanupTest {

    @Test
    void R71_aFileMadeThroughTheCleanupIsDeletedWhenTheRunEnds(@TempDir Path dir) throws IOException {
        ExitCleanup cleanup = new ExitCleanup(false);
        Path made = cleanup.create(() -> Files.createTempFile(dir, "gochan-fetch-", ".body"), p -> p);
        Path kept = cleanup.create(() -> Files.createFile(dir.resolve("moved.part")), p -> p);
        cleanup.forget(kept); // moved to FILE: the run's end must not touch its name

        cleanup.end();

        assertThat(made).doesNotExist();
        assertThat(kept).exists();
        assertThat(cleanup.recorded()).isEmpty();
    }

    @Test
    void R71_onceTheRunEndedNoFileIsMade(@TempDir Path dir) {
        ExitCleanup cleanup = new ExitCleanup(false);
        cleanup.end();
        AtomicBoolean ran = new AtomicBoolean();

        assertThatThrownBy(() -> cleanup.create(() -> {
            ran.set(true);
            return Files.createTempFile(dir, "gochan-fetch-", ".body");
        }, p -> p)).isInstanceOf(IOException.class).hasMessageContaining("the run is ending");

        assertThat(ran).as("the creation ran").isFalse();
    }

    /**
     * The race itself: files made one after another on one thread while another ends the run. Whatever the
     * interleaving, every file the creating thread was given back is gone afterwards, and after its first refusal
     * nothing more is made.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void R71_aFileMadeAsTheRunEndsIsDeletedOrNeverMade(@TempDir Path dir) throws Exception {
        for (int round = 0; round < 200; round++) {
            ExitCleanup cleanup = new ExitCleanup(false);
            CyclicBarrier start = new CyclicBarrier(2);
            List<Path> made = new ArrayList<>();
            List<IOException> refused = new ArrayList<>();
            Thread maker = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 50; i++) {
                        made.add(cleanup.create(() -> Files.createTempFile(dir, "gochan-fetch-", ".body"), p -> p));
                    }
                } catch (IOException e) {
                    refused.add(e);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            start.await();
            cleanup.end();
            maker.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(maker.isAlive()).as("the maker ended").isFalse();
            for (Path p : made) {
                assertThat(p).as("round %d: made before or as the run ended", round).doesNotExist();
            }
            try (var left = Files.list(dir)) {
                assertThat(left.toList()).as("round %d: left behind", round).isEmpty();
            }
        }
    }
}
