package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rule BB36: a deadlock's dump says where each goroutine was started when start sites are captured (as the leak check
 * captures them in its window), as Go's report of a bubble's deadlock says "created by ... in goroutine N".
 */
@ExtendWith(NoNewGoroutines.class)
class BubbleDumpStartSiteRulesTest {
    private boolean captureBefore;

    @BeforeEach
    void capture() {
        captureBefore = Goroutines.startSiteCapture();
        Goroutines.setStartSiteCapture(true);
    }

    @AfterEach
    void restore() {
        Goroutines.setStartSiteCapture(captureBefore);
    }

    @Test
    void BB36_aDeadlocksDumpSaysWhereEachGoroutineWasStarted() {
        BubbleDeadlockException e = catchThrowableOfType(BubbleDeadlockException.class, () -> Bubble.run(() -> {
            Chan<String> never = Chan.make();
            Go.go("started-by-the-body", never::receive);
            startNested(never);
        }));
        String dump = e.getMessage();
        String first = dump.substring(dump.indexOf("\"started-by-the-body\""), dump.indexOf("\"started-by-a-helper\""));
        assertThat(first).contains("  started at:\n").containsPattern(
                "  started at:\n(    at .*\n)*    at io\\.gochan\\.BubbleDumpStartSiteRulesTest\\.lambda\\$BB36_aDeadlocksDumpSaysWhere");
        String second = dump.substring(dump.indexOf("\"started-by-a-helper\""));
        assertThat(second).containsPattern("  started at:\n(    at .*\n)*    at io\\.gochan\\.BubbleDumpStartSiteRulesTest\\.startNested\\(");
        assertThat(dump.substring(0, dump.indexOf("goroutine "))).as("the root was started by no goroutine")
                .doesNotContain("started at:");
    }

    @Test
    void BB36_withoutCaptureTheDumpHasNoStartSite() {
        Goroutines.setStartSiteCapture(false);
        BubbleDeadlockException e = catchThrowableOfType(BubbleDeadlockException.class, () -> Bubble.run(() -> {
            Chan<String> never = Chan.make();
            Go.go("uncaptured", never::receive);
            never.receive();
        }));
        assertThat(e.getMessage()).contains("\"uncaptured\"").doesNotContain("started at:");
    }

    private static void startNested(Chan<String> never) throws InterruptedException {
        Go.go("started-by-a-helper", never::receive);
        never.receive();
    }
}
