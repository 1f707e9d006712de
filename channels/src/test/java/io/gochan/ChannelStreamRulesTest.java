package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rule CH5 (docs/spec/context-timers.md): streams over a receive channel, from both thread kinds. */
class ChannelStreamRulesTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH5_aStreamYieldsTheValuesInOrderAndEndsAtClose(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 1; i <= 100; i++) {
                    ch.send(i);
                }
                ch.close();
            });
            List<Integer> got = ch.receiveOnly().stream().collect(Collectors.toList());
            assertThat(got).hasSize(100).isSorted().startsWith(1).endsWith(100);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH5_aShortCircuitingStreamTakesOnlyWhatItConsumes(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(10);
        for (int i = 0; i < 10; i++) {
            ch.send(i);
        }
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(ch.stream().limit(3).mapToInt(Integer::intValue).sum()).isEqualTo(0 + 1 + 2));
        }
        assertThat(ch.len()).isEqualTo(7);
        assertThat(ch.stream().filter(v -> v == 4).findFirst()).contains(4);
        assertThat(ch.len()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH5_anInterruptedStreamThrowsChannelInterruptedExceptionAndKeepsTheFlag(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                assertThatThrownBy(() -> ch.stream().count()).isInstanceOf(ChannelInterruptedException.class);
                assertThat(Thread.interrupted()).isTrue();
            });
            Threads.awaitReceivers(ch, 1);
            t.interrupt();
        }
        assertThat(Threads.waiters(ch)).isZero();
    }
}
