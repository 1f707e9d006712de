package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.Go;
import io.gochan.GoFuture;
import io.gochan.leakcheck.NoGoroutineLeaks;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Rule L10 for a future's done channel (GF3; review selapi26, finding 1): it is refused in a plain receive case,
 * as a context's is, and the refusal must name what fits a future. Before, it spoke of a context only and pointed
 * the user to {@code done(ctx, handler)}, which takes no future. The context's side is
 * {@code SelectContextRulesTest.L10_aPlainReceiveCaseOnADoneChannelIsRefusedWhenBuilt}.
 */
@NoGoroutineLeaks
class SelectFutureDoneRulesTest {

    /**
     * L10 / GF3: the refusal of a plain receive case on {@code GoFuture.done()} names what fits a future:
     * {@code receiveOk}. Failed before: the message was "a plain receive case on a context's done() channel
     * throws when the context is done (...); use done(ctx, handler) or receiveOk", with no word of a future.
     */
    @Test
    void L10_aFuturesDoneChannelIsRefusedWithAMessageThatFitsAFuture() throws Exception {
        Chan<String> release = Chan.make();
        GoFuture<String> f = Go.future(() -> release.receive());
        try {
            List<ThrowingCallable> adds = List.of(
                    () -> Select.<String>cases().receive(f.done(), v -> "x"),
                    () -> Select.statement().receive(f.done(), null),
                    () -> Select.onReceive(f.done(), v -> "x"));
            for (ThrowingCallable add : adds) {
                assertThatThrownBy(add)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("receiveOk")
                        .hasMessageContaining("future"); // before: "a context's done() channel ... use done(ctx, handler)"
            }
        } finally {
            release.send("go");
            assertThat(f.join()).isEqualTo("go");
        }
    }
}
