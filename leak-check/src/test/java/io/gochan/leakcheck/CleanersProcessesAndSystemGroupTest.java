package io.gochan.leakcheck;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.ref.Cleaner;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Rules LK52 to LK54 (docs/spec/leak-check.md), fixtures run through the JUnit launcher: a {@link Cleaner} the test made
 * and kept is its leak (one it dropped is collected, and is not); a child process it left running is its leak (one it
 * waited for is not); a thread of the user's is the user's whatever its name or thread group. Found by session 44's
 * leak-check audit.
 */
class CleanersProcessesAndSystemGroupTest {

    private static String outcome(Map<String, String> outcomes, String method) {
        return BlindSpotTest.outcome(outcomes, "[method:" + method + "()]");
    }

    private static final long BOUND = TimeUnit.SECONDS.toNanos(20);

    @NoGoroutineLeaks(graceMillis = 200)
    static class CleanerFixture {
        static volatile Cleaner kept;
        static volatile Cleaner keptOnAFactory;

        @Test
        void keepsACleaner() {
            kept = Cleaner.create();
        }

        @Test
        void keepsACleanerOnItsOwnFactory() {
            ThreadFactory f = r -> new Thread(r, "audit-cleaner");
            keptOnAFactory = Cleaner.create(f);
        }

        @Test
        void dropsACleaner() {
            Cleaner c = Cleaner.create();
            c.register(new Object(), () -> {});
        }

        @Test
        void usesTheCommonCleanerOfTheJdk() {
            // a java.util.Timer registers itself with the JDK's Common-Cleaner; cancelled, it leaves nothing
            new java.util.Timer("cleaned").cancel();
        }
    }

    /** LK52: a Cleaner kept (on the JDK's factory or its own) fails the test; one dropped is collected and does not. */
    @Test
    void LK52_aCleanerTheTestKeptFailsItAndOneItDroppedDoesNot() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(CleanerFixture.class);
            assertThat(outcome(o, "keepsACleaner")).startsWith("FAILED").contains("Cleaner-").contains("java.lang.ref.Cleaner")
                    .contains("LK52");
            assertThat(outcome(o, "keepsACleanerOnItsOwnFactory")).startsWith("FAILED").contains("audit-cleaner")
                    .contains("LK52");
            assertThat(outcome(o, "dropsACleaner")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "usesTheCommonCleanerOfTheJdk")).isEqualTo("SUCCESSFUL");
        } finally {
            CleanerFixture.kept = null;
            CleanerFixture.keptOnAFactory = null;
            awaitNoCleanerThreads();
        }
    }

    /** The kept cleaners' threads end once they are collected: this test leaves none behind. */
    private static void awaitNoCleanerThreads() throws InterruptedException {
        long deadline = System.nanoTime() + BOUND;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("Cleaner-") || t.getName().equals("audit-cleaner")) {
                do {
                    assertThat(System.nanoTime()).as("the cleaners' threads end once collected").isLessThan(deadline);
                    System.gc();
                } while (!t.join(java.time.Duration.ofMillis(50)));
            }
        }
    }

    @NoGoroutineLeaks(graceMillis = 200)
    static class ProcessFixture {
        static volatile Process left;

        @Test
        void leavesAChildRunning() throws Exception {
            left = new ProcessBuilder("sleep", "600").start();
        }

        @Test
        void waitsForItsChild() throws Exception {
            new ProcessBuilder("true").start().waitFor();
        }

        @Test
        void destroysItsChild() throws Exception {
            Process p = new ProcessBuilder("sleep", "600").start();
            p.destroy();
            p.waitFor();
        }
    }

    /** LK53: a child process left running fails the test that started it; one waited for or destroyed does not. */
    @Test
    void LK53_aChildProcessLeftRunningFailsTheTest() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(ProcessFixture.class);
            assertThat(outcome(o, "leavesAChildRunning")).startsWith("FAILED").contains("child process " + ProcessFixture.left.pid())
                    .contains("sleep").contains("LK53");
            assertThat(outcome(o, "waitsForItsChild")).isEqualTo("SUCCESSFUL");
            assertThat(outcome(o, "destroysItsChild")).isEqualTo("SUCCESSFUL");
        } finally {
            Process p = ProcessFixture.left;
            if (p != null) {
                p.destroyForcibly();
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @NoGoroutineLeaks(graceMillis = 200)
    static class DisguiseFixture {
        static final CountDownLatch GATE = new CountDownLatch(1);
        static final java.util.List<Thread> STARTED = new java.util.concurrent.CopyOnWriteArrayList<>();

        private static void await() {
            try {
                GATE.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Test
        void startsAThreadNamedProcessReaper() {
            STARTED.add(Thread.ofPlatform().name("process reaper").start(DisguiseFixture::await));
        }

        @Test
        void startsAThreadNamedLikeAReaperOfAChild() {
            STARTED.add(Thread.ofPlatform().name("process reaper (pid 1)").start(DisguiseFixture::await));
        }

        @Test
        void startsAThreadInTheSystemGroup() {
            ThreadGroup g = Thread.currentThread().getThreadGroup();
            while (g.getParent() != null) {
                g = g.getParent();
            }
            Thread t = new Thread(g, DisguiseFixture::await, "system-group-thread");
            t.start();
            STARTED.add(t);
        }
    }

    /** LK54: a thread of the user's named as the JDK's process reaper, or put in the JVM's system group, is reported. */
    @Test
    void LK54_aUserThreadIsTheUsersWhateverItsNameOrGroup() throws Exception {
        try {
            Map<String, String> o = BlindSpotTest.run(DisguiseFixture.class);
            assertThat(outcome(o, "startsAThreadNamedProcessReaper")).startsWith("FAILED").contains("process reaper");
            assertThat(outcome(o, "startsAThreadNamedLikeAReaperOfAChild")).startsWith("FAILED").contains("process reaper (pid 1)")
                    .doesNotContain("LK53");
            assertThat(outcome(o, "startsAThreadInTheSystemGroup")).startsWith("FAILED").contains("system-group-thread");
        } finally {
            DisguiseFixture.GATE.countDown();
            for (Thread t : DisguiseFixture.STARTED) {
                assertThat(t.join(java.time.Duration.ofSeconds(20))).isTrue();
            }
        }
    }
}
