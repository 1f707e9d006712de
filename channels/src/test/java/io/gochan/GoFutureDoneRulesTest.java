package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.io.IOException;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rule GF3 (docs/spec/context-timers.md): a future's done channel, observed from both thread kinds. */
@ExtendWith(NoNewGoroutines.class)
class GoFutureDoneRulesTest {
    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF3_doneIsClosedWhenTheCallableReturnsAndPublishesItsWrites(Kind kind) throws Exception {
        Chan<String> release = Chan.make();
        int[] box = new int[1];
        GoFuture<String> f = Go.future("gf3", () -> {
            String s = release.receive();
            box[0] = 42;
            return s;
        });
        ReceiveChan<Object> done = f.done();
        assertThat(f.done()).as("the same channel every call").isSameAs(done);
        assertThat(done.tryReceive().ok()).as("not closed while the callable runs").isFalse();
        assertThat(done.tryReceive().closed()).isFalse();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(done.receiveOk().closed()).isTrue(); // waits for the close
                assertThat(box[0]).as("the callable's writes happen-before the close is observed").isEqualTo(42);
                assertThat(f.join()).isEqualTo("v");
            });
            release.send("v");
        }
        assertThat(done.cap()).isZero();
        assertThat(done.len()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF3_doneIsClosedWhenTheCallableThrows(Kind kind) throws Exception {
        IOException failure = new IOException("expected by the test");
        GoFuture<Integer> f = Go.future(() -> {
            throw failure;
        });
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                assertThat(f.done().receiveOk().closed()).isTrue();
                assertThatThrownBy(f::join).isSameAs(failure);
            });
        }
        assertThatThrownBy(() -> f.done().receive()).as("closed, never sent on").isInstanceOf(ChannelClosedException.class);
        assertThat(f.done()).isNotInstanceOf(SendChan.class);
    }
}
