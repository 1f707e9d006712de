package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Chan;
import io.gochan.Context;
import io.gochan.ReceiveChan;
import io.gochan.SendChan;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.testing.nulls.NullTester;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Every public method of {@code io.gochan.select} refuses {@code null} in every reference parameter with a
 * {@link NullPointerException} naming the parameter, before the select changes (L15): checked
 * reflectively by {@link NullTester}. A null channel is Go's nil channel: the case is disabled (N1); a null
 * handler is a case without one.
 */
@NoGoroutineLeaks
class NullArgumentRulesTest {

    @Test
    void L15_everyPublicMethodRefusesNullNamingTheParameterBeforeTheSelectChanges() throws Exception {
        Chan<String> ch = Chan.make(1);
        ch.send("kept");
        NullTester t = new NullTester(Select.class)
                .value(Object.class, () -> "x")
                .value(Duration.class, () -> Duration.ofMillis(1))
                .value(Context.class, Context::background)
                .value(ReceiveChan.class, () -> ch)
                .value(SendChan.class, Chan::make)
                .value(RandomGenerator.class, () -> new Random(1))
                .value(Select.OnReceive.class, () -> v -> "r")
                .value(Select.OnReady.class, () -> () -> "r")
                .value(SelectStatement.OnReceive.class, () -> v -> { })
                .value(SelectStatement.OnReady.class, () -> () -> { })
                .value(Selection.OnValue.class, () -> v -> "r")
                .value(Selection.OnEvent.class, () -> () -> "r")
                .message("Select.send(value)", "null is not a channel value")
                .message("Select.onSend(value)", "null is not a channel value")
                .message("SelectStatement.send(value)", "null is not a channel value")
                .message("Selection.send(value)", "null is not a channel value")
                .instance(Select.class, Select::<String>cases, Object::toString)
                .instance(SelectStatement.class, Select::statement, Object::toString)
                .instance(Selection.class, () -> Select.onDone(Context.background(), () -> "done"), Object::toString);
        for (String disabled : List.of("Select.onReceive", "Select.onReceiveOk", "Select.onSend", "Select.receive",
                "Select.receiveOk", "Select.send", "SelectStatement.receive", "SelectStatement.receiveOk",
                "SelectStatement.send", "Selection.receive", "Selection.receiveOk", "Selection.send")) {
            t.nullable(disabled + "(channel)", "null is the nil channel: the case is disabled (N1, documented)");
        }
        t.nullable("*(handler)", "a null handler is a case without one: it yields null (Select, Selection) or does "
                        + "nothing (SelectStatement) (documented)")
                .nullable("OnReceive.accept(value)", "the caller's handler (SelectStatement), called with channel values, never null")
                .nullable("OnValue.apply(value)", "the caller's handler (Selection), called with channel values, never null")
                .nullable("OnReceive.apply(value)", "the caller's handler (Select), called with channel values, never null");
        List<String> failures = t.run();
        assertThat(failures).isEmpty();
        assertThat(t.calls()).as("the check made calls").isGreaterThan(15);
        assertThat(ch.len()).as("no case took the value").isEqualTo(1);
    }
}
