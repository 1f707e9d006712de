package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rule L20 (docs/spec/select.md): when a case's channel and send value are evaluated. Go evaluates every
 * channel operand and send-value expression once, in source order, each time it enters the select statement
 * (runtime/select.go receives them already evaluated), chosen case or not; here Java evaluates them once, in
 * the order the cases are added, when the select is built, and a select run again reuses them.
 */
@NoGoroutineLeaks
class SelectEvaluationRulesTest {

    /**
     * L20: every case's channel and value are evaluated when the case is added, in the order of adding, whether
     * the case is chosen, disabled or not; no handler but the chosen one runs (L1). Fails if an operand were
     * evaluated lazily, at the run, or only for the chosen case.
     */
    @Test
    void L20_operandsAreEvaluatedOnceWhenAddedInOrder() throws Exception {
        List<String> evaluated = new ArrayList<>();
        Chan<Integer> ready = Chan.make(1);
        ready.send(7);
        Chan<Integer> idle = Chan.make();
        Select<String> s = Select.<String>cases()
                .send(log(evaluated, "idle channel", idle), log(evaluated, "idle value", 1), () -> "sent")
                .receive(log(evaluated, "ready channel", ready), v -> "received " + v)
                .send(log(evaluated, "disabled channel", (Chan<Integer>) null), log(evaluated, "disabled value", 2), () -> "never");
        assertThat(evaluated).containsExactly("idle channel", "idle value", "ready channel", "disabled channel",
                "disabled value");
        evaluated.clear();
        assertThat(s.select()).isEqualTo("received 7");
        assertThat(evaluated).as("a run evaluates nothing").isEmpty();
    }

    /**
     * L20: a select run again sends the same value object on the same channel every run, and reassigning the
     * variable that named a channel (Go's `ch = nil` to disable a case in a loop) changes nothing in a built
     * select: that case stays enabled. Fails if a reused select re-read its operands.
     */
    @Test
    void L20_aReusedSelectKeepsItsChannelsAndValues() throws Exception {
        Chan<Object> out = Chan.make(2);
        Object value = new Object();
        Chan<Object> target = out;
        SelectStatement s = Select.statement().send(target, value, null);
        assertThat(s.run()).isZero();
        target = null; // the Go idiom of disabling a case by its variable: not seen by the built select
        assertThat(target).isNull();
        assertThat(s.run()).as("the case is still enabled").isZero();
        assertThat(out.receive()).isSameAs(value);
        assertThat(out.receive()).as("the same object again").isSameAs(value);
        // To disable a case from one run to the next, build the select in the loop.
        SelectStatement rebuilt = Select.statement().send(target, value, null).orElse(null);
        assertThat(rebuilt.run()).as("the default: the null channel disables the case").isEqualTo(SelectStatement.DEFAULT);
        assertThat(out.len()).isZero();
    }

    private static <T> T log(List<String> evaluated, String what, T operand) {
        evaluated.add(what);
        return operand;
    }
}
