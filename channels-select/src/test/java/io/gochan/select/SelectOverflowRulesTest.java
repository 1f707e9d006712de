package io.gochan.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Chan;
import io.gochan.ChannelClosedException;
import io.gochan.Go;
import io.gochan.GoFuture;
import io.gochan.OverflowPolicy;
import io.gochan.leakcheck.NoGoroutineLeaks;
import io.gochan.select.SelectContextRulesTest.Kind;
import io.gochan.spi.ChannelCores;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Select with the channels of rules OV1–OV2 (a send case on a drop-policy channel is always ready while
 * open) and GF3 (a future's done channel as a case); both thread kinds.
 */
@NoGoroutineLeaks
class SelectOverflowRulesTest {

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_aSendCaseOnAFullConflatedChannelIsAlwaysReady(Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> latest = Chan.conflated(dropped::add);
            Chan<Integer> never = Chan.make();
            latest.send(0); // full
            SplittableRandom random = new SplittableRandom(7);
            for (int i = 1; i <= 200; i++) {
                int v = i;
                String r = Select.<String>cases()
                        .random(random)
                        .receive(never, x -> "received")
                        .send(latest, v, () -> "sent")
                        .select();
                assertThat(r).isEqualTo("sent");
            }
            // Even next to a default case, the send case is the ready one.
            assertThat(Select.<String>cases().send(latest, 201, () -> "sent").orElse(() -> "default").select())
                    .isEqualTo("sent");
            assertThat(latest.receive()).isEqualTo(201);
            assertThat(dropped).hasSize(201).doesNotHaveDuplicates().doesNotContain(201);
            assertThat(ChannelCores.of(never).waitingReceivers()).isZero();
            latest.close();
            assertThatThrownBy(() -> Select.<String>cases().send(latest, 1, () -> "sent").select())
                    .isInstanceOf(ChannelClosedException.class);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void OV1_aSendCaseOnAFullDropLatestChannelCompletesByDropping(Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
            Chan<Integer> ch = Chan.make(2, OverflowPolicy.DROP_LATEST, dropped::add);
            ch.send(1);
            ch.send(2);
            assertThat(Select.statement().send(ch, 3, () -> { }).orElse(() -> {
                throw new AssertionError("the default case ran");
            }).run()).isZero();
            assertThat(dropped).containsExactly(3);
            assertThat(ch.receive()).isEqualTo(1);
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void GF3_aSelectWaitsForAFutureWithAReceiveOkCase(Kind kind) throws Exception {
        SelectContextRulesTest.on(kind, () -> {
            Chan<String> release = Chan.make();
            Chan<Integer> other = Chan.make();
            GoFuture<String> f = Go.future(() -> release.receive());
            Go.go(() -> release.send("go"));
            String r = Select.<String>cases()
                    .receive(other, v -> "other")
                    .receiveOk(f.done(), got -> got.closed() ? "future done" : "impossible: sent on")
                    .select();
            assertThat(r).isEqualTo("future done");
            assertThat(f.join()).isEqualTo("go");
            assertThatThrownBy(() -> Select.<String>cases().receive(f.done(), v -> "x"))
                    .as("L10: a plain receive case on a done channel").isInstanceOf(IllegalArgumentException.class);
        });
    }
}
