package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CX16: what a long-lived context keeps once its children have ended. Measured as the heap the parent alone
 * keeps reachable (used heap after full collections, before and after the parent's own cancel, which drops its set of
 * children), so the bound is on memory,
 * not on an implementation's field.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ContextMemoryRulesTest {
    private static final int BURST = 100_000;

    /** Used heap after full collections: what is reachable, give or take a few kilobytes. */
    private static long usedAfterGc() {
        Runtime r = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            used = Math.min(used, r.totalMemory() - r.freeMemory());
        }
        return used;
    }

    /**
     * CX16, G3: a long-lived parent gives back what a burst of children took. After 100,000 children (contexts,
     * half with a deadline, and afterFunc registrations) live at once have all ended (cancelled, or stopped), the
     * parent keeps less than 256 KiB more than before the burst. Before, its set of children kept the table the
     * burst had grown (2 MiB here, 20 bytes per child of the largest burst) for the parent's whole life.
     */
    @Test
    void CX16_aLongLivedParentGivesBackWhatABurstOfChildrenTook() {
        CancellableContext parent = Context.withCancel(Context.background());
        List<CancellableContext> kids = new ArrayList<>(BURST);
        List<AfterFunc> funcs = new ArrayList<>(BURST / 4);
        for (int i = 0; i < BURST; i++) {
            if (i % 4 == 3) {
                funcs.add(Context.afterFunc(parent, () -> {}));
            } else {
                kids.add(i % 2 == 0 ? Context.withCancel(parent) : Context.withTimeout(parent, Duration.ofHours(1)));
            }
        }
        assertThat(((Contexts.CancelContext) parent).childCount()).isEqualTo(BURST);
        kids.forEach(CancellableContext::cancel);
        funcs.forEach(AfterFunc::stop);
        kids = null;
        funcs = null;
        assertThat(((Contexts.CancelContext) parent).childCount()).isZero();
        long live = usedAfterGc();
        parent.cancel(); // a cancelled context drops its set of children: what remains is the parent's fixed cost
        long cancelled = usedAfterGc();
        assertThat(live - cancelled).as("bytes the live parent keeps for its ended children").isLessThan(256 * 1024);
    }
}
