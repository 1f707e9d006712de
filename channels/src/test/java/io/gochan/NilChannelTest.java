package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rule N1: the nil channel. */
class NilChannelTest {
    @ParameterizedTest
    @EnumSource(Kind.class)
    void N1_nilChannelBlocksForeverInterruptiblyAndNeverSucceeds(Kind kind) throws Exception {
        Chan<Integer> nil = Chan.nil();
        assertThat(nil.len()).isZero();
        assertThat(nil.cap()).isZero();
        assertThat(nil.trySend(1)).isFalse();
        assertThat(nil.tryReceive().notReady()).isTrue();
        assertThat(nil.send(1, Duration.ofMillis(5))).isFalse();
        assertThat(nil.receive(Duration.ofMillis(5)).notReady()).isTrue();
        assertThatThrownBy(nil::close).isInstanceOf(ChannelClosedException.class).hasMessageContaining("nil");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                try {
                    nil.receive();
                } catch (InterruptedException e) {
                    thrown.set(e);
                }
            });
            Threads.awaitTrue(() -> t.getState() == Thread.State.WAITING, "parked on the nil channel");
            t.interrupt();
        }
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    }
}
