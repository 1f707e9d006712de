package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JFR gate (ADR 0011), each case in a fresh child JVM running {@link JfrProbe}, because the test
 * JVM's recorder may already be initialized by other tests. The child is waited for with a bound and
 * destroyed afterwards: no process is left behind.
 */
class JfrGateTest {

    @Test
    void JF4_firstGoroutineAndHandoffLoadNoJfrEventClass(@TempDir Path dir) throws Exception {
        String out = run(dir, "-Xlog:class+load=info:stdout");
        assertThat(out).contains("probe done, recorder initialized: false");
        // Before the gate the first parked handoff loaded ChannelBlockedEvent, and with it JFR's
        // metadata repository: 100-400 ms of a fresh JVM (benchmark B8).
        assertThat(out.lines().filter(l -> l.contains("io.gochan.jfr.") || l.contains("jdk.jfr.internal.")))
                .as("JFR classes loaded by a program that never records").isEmpty();
    }

    @Test
    void JF4_firstGoroutineAndHandoffLoadNoLoggingMachineryAndNoOffFeature(@TempDir Path dir) throws Exception {
        String out = run(dir, "-Xlog:class+load=info:stdout");
        assertThat(out).contains("probe done, recorder initialized: false");
        // The same cold-start rule for what is off by default: the LK10 detection's class once loaded on
        // the first Go.go, and its static logger initialised System.Logger's machinery (+16 ms, B8).
        assertThat(out.lines().filter(l -> l.contains("io.gochan.GcLeakTracking") || l.contains("jdk.internal.logger.")
                || l.contains("sun.util.logging.")))
                .as("classes of an off feature, or of the logging machinery, loaded by a program that logs nothing").isEmpty();
    }

    @Test
    void JF4_firstGoroutineAndHandoffLoadNoClassOfAnUnusedFeature(@TempDir Path dir) throws Exception {
        String out = run(dir, "-Xlog:class+load=info:stdout");
        assertThat(out).contains("probe done, recorder initialized: false");
        // Each of these once loaded (and initialised) on a fresh JVM's first Chan.make or Go.go, for a
        // feature the probe never uses: bubbles, owners, overflow policies, select's core accessor, the
        // default handler of a failure that never happens, a holder for the JFR probe, the lock-free ring of
        // larger buffers; and, loaded by the verifier or by a static initializer before anything needed
        // them: the closed-channel exception, the timer channel subclass, the registry's query class
        // (B8; the outcome markers are no class of their own any more).
        List<String> unused = List.of("io.gochan.Bubbles", "io.gochan.Bubbles$Hook", "io.gochan.BubbleState",
                "io.gochan.GoroutineOwner", "io.gochan.GoroutineOwner$1", "io.gochan.GoroutineOwner$Inherited", "io.gochan.OverflowPolicy", "io.gochan.Chan$CoreAccess",
                "io.gochan.spi.ChannelCores", "io.gochan.Goroutines$LogUncaught", "io.gochan.spi.JfrGate$Recorder",
                "io.gochan.spi.Ring", "io.gochan.spi.RingPositions$HeadPad", "io.gochan.ChannelClosedException",
                "io.gochan.spi.ChannelCore$TimerChannel", "io.gochan.Goroutines");
        List<String> loaded = out.lines().filter(l -> l.contains("[class,load] "))
                .map(l -> l.substring(l.indexOf("[class,load] ") + "[class,load] ".length()).split(" ")[0])
                .filter(name -> name.startsWith("io.gochan."))
                .toList();
        assertThat(loaded).as("the probe ran with class loading logged").contains("io.gochan.Chan", "io.gochan.Go");
        assertThat(loaded).as("classes of features a first goroutine and handoff do not use").doesNotContainAnyElementsOf(unused);
    }

    @Test
    void JF1_recordingStartedWithTheJvmGetsTheEvents(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("probe.jfr");
        String out = run(dir, "-XX:StartFlightRecording:filename=" + file
                + ",+io.gochan.Goroutine#enabled=true,+io.gochan.ChannelBlocked#enabled=true,+io.gochan.ChannelBlocked#threshold=0ms");
        assertThat(out).contains("probe done, recorder initialized: true");
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("io.gochan.Goroutine");
            assertThat(e.getString("name")).isEqualTo("probe");
        });
        assertThat(events).anySatisfy(e -> {
            assertThat(e.getEventType().getName()).isEqualTo("io.gochan.ChannelBlocked");
            assertThat(e.getString("outcome")).isEqualTo("timed out");
        });
    }

    /**
     * JF1 as README's "JFR events" section tells a user to enable an event: its setting, taken from the README as
     * written, added to a recording with the {@code profile} settings, must record the event. gochan's events are
     * in no {@code .jfc} file, so a setting without JFR's {@code +} prefix ("add a new event setting") is ignored
     * without a word and the recording has none of them.
     */
    @Test
    void JF1_readmesEventSettingRecordsTheEvent(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("").toAbsolutePath().getParent().resolve("README.md"));
        String section = readme.substring(readme.indexOf("## JFR events"));
        Matcher setting = Pattern
                .compile("`(\\+?io\\.gochan\\.ChannelBlocked#enabled=true)`").matcher(section);
        assertThat(setting.find()).as("README's JFR section names the setting that enables ChannelBlocked").isTrue();
        Path file = dir.resolve("readme.jfr");
        String out = run(dir, "-XX:StartFlightRecording:filename=" + file + ",settings=profile," + setting.group(1));
        assertThat(out).contains("probe done, recorder initialized: true");
        // The probe's 200 ms timed receive is past the event's 10 ms threshold.
        assertThat(RecordingFile.readAllEvents(file).stream().map(e -> e.getEventType().getName())
                .filter(name -> name.startsWith("io.gochan.")).distinct())
                .as("gochan's events recorded with README's setting %s", setting.group(1))
                .contains("io.gochan.ChannelBlocked");
    }

    /**
     * JF1: a recording created after gochan already ran with no flight recorder gets the events of what runs
     * from then on (the gate asks the recorder each time; it does not keep the first answer), and nothing of
     * what ran before.
     */
    @Test
    void JF1_recordingStartedAfterTheLibraryRanGetsTheEvents(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("late.jfr");
        // No recording at start-up: the probe creates its own once gochan has run (the property only marks the child).
        String out = run(dir, "-Dgochan.probe=late", JfrLateProbe.class, file.toString());
        assertThat(out).contains("before, recorder initialized: false").contains("late probe done");
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.gochan.")).toList();
        assertThat(events).extracting(e -> e.getEventType().getName() + " "
                        + (e.hasField("name") ? e.getString("name") : e.getString("outcome") + " cap=" + e.getInt("capacity")))
                .contains("io.gochan.Goroutine after", "io.gochan.ChannelBlocked timed out cap=5")
                .doesNotContain("io.gochan.Goroutine before", "io.gochan.ChannelBlocked timed out cap=6");
    }

    /** Runs {@link JfrProbe} in a child JVM with {@code jvmArg}; returns its output after asserting exit 0. */
    private static String run(Path dir, String jvmArg) throws Exception {
        return run(dir, jvmArg, JfrProbe.class);
    }

    /** Runs {@code main} in a child JVM with {@code jvmArg} and {@code args}; returns its output after asserting exit 0. */
    private static String run(Path dir, String jvmArg, Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), jvmArg,
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("child.log");
        // To a file, not a pipe: a hung child then fails the bounded wait instead of blocking a read.
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean ended = p.waitFor(60, TimeUnit.SECONDS);
            String text = Files.readString(log);
            assertThat(ended).as("child JVM ended within 60 s%n%s", text).isTrue();
            assertThat(p.exitValue()).as("exit of %s%n%s", String.join(" ", cmd), text).isZero();
            return text;
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
