package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rules CH6 (docs/spec/context-timers.md): a channel's stream made parallel hands every value on as it
 * arrives, and I6 (docs/spec/channels.md): the interrupt a channel's iterator or stream wraps names the
 * operation and the channel.
 */
@ExtendWith(NoNewGoroutines.class)
class ChannelParallelStreamRulesTest {
    private static final int VALUES = 20;

    /**
     * A producer that sends one value and then waits for the consumer to have seen it (the brief's
     * "sends 3 values and waits for the answer", for every value): a stream that gathers values before
     * handing them on (the JDK's iterator spliterator splits off batches of 1,024) waits for a value that is
     * only sent once it hands on the ones it holds. Ends the producer's wait if the stream does not finish in
     * time, so a failure leaves nothing hanging.
     */
    private static void pingPong(Kind kind, ThrowingStreamUse consume) throws Exception {
        Chan<Integer> ch = Chan.make();
        Chan<Integer> seen = Chan.make(VALUES);
        Chan<List<Integer>> result = Chan.make(1);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 1; i <= VALUES; i++) {
                    ch.send(i);
                    if (!seen.receiveOk().ok()) { // the test gave up: send the rest without waiting
                        for (int j = i + 1; j <= VALUES; j++) {
                            ch.send(j);
                        }
                        break;
                    }
                }
                ch.close();
            });
            threads.start(() -> result.send(consume.use(ch.receiveOnly().stream().parallel()
                    .peek(v -> assertThat(seen.trySend(v)).isTrue()))));
            Received<List<Integer>> got = result.receive(java.time.Duration.ofSeconds(20));
            if (!got.ok()) {
                seen.close(); // release the producer, and through it the stream
            }
            assertThat(got.ok()).as("the parallel stream finished while its producer waited for each value").isTrue();
            assertThat(got.value()).containsExactlyElementsOf(IntStream.rangeClosed(1, VALUES).boxed().toList());
        }
    }

    interface ThrowingStreamUse {
        List<Integer> use(Stream<Integer> s) throws Exception;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH6_aParallelStreamHandsOnEachValueAsItArrives_collect(Kind kind) throws Exception {
        pingPong(kind, s -> s.collect(Collectors.toList()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH6_aParallelStreamHandsOnEachValueAsItArrives_forEach(Kind kind) throws Exception {
        pingPong(kind, s -> {
            List<Integer> got = new java.util.concurrent.CopyOnWriteArrayList<>();
            s.forEach(got::add);
            return got.stream().sorted().toList();
        });
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH6_aSequentialStreamHandsOnEachValueAsItArrives(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        Chan<Integer> seen = Chan.make(VALUES);
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                for (int i = 1; i <= VALUES; i++) {
                    ch.send(i);
                    assertThat(seen.receive()).isEqualTo(i);
                }
                ch.close();
            });
            assertThat(ch.stream().peek(v -> assertThat(seen.trySend(v)).isTrue()).toList())
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, VALUES).boxed().toList());
        }
    }

    /**
     * Inside a fork-join pool of one worker (as a parallel stream run from a pool task is): a stream that
     * forked a batch of values to the pool and then waited for the next value would keep the batch from
     * the only thread that could run it.
     */
    @Test
    void CH6_aParallelStreamRunInsideAOneWorkerPoolHandsOnEachValue() throws Exception {
        Chan<Integer> ch = Chan.make();
        Chan<Integer> seen = Chan.make(VALUES);
        ForkJoinPool pool = new ForkJoinPool(1);
        try (Threads threads = new Threads(Kind.VIRTUAL)) {
            threads.start(() -> {
                for (int i = 1; i <= VALUES; i++) {
                    ch.send(i);
                    if (!seen.receiveOk().ok()) {
                        for (int j = i + 1; j <= VALUES; j++) {
                            ch.send(j);
                        }
                        break;
                    }
                }
                ch.close();
            });
            Future<List<Integer>> f = pool.submit(() -> ch.stream().parallel()
                    .peek(v -> assertThat(seen.trySend(v)).isTrue()).collect(Collectors.toList()));
            try {
                assertThat(f.get(20, TimeUnit.SECONDS))
                        .containsExactlyElementsOf(IntStream.rangeClosed(1, VALUES).boxed().toList());
            } finally {
                seen.close();
            }
        } finally {
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH6_aParallelStreamTakesEveryValueOnceAndInOrder(Kind kind) throws Exception {
        int n = 5_000;
        Chan<Integer> ch = Chan.make(n);
        for (int i = 0; i < n; i++) {
            ch.send(i);
        }
        ch.close();
        AtomicInteger calls = new AtomicInteger();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(ch.stream().parallel().peek(v -> calls.incrementAndGet()).toList())
                    .containsExactlyElementsOf(IntStream.range(0, n).boxed().toList()));
        }
        assertThat(calls).hasValue(n);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void CH6_aShortCircuitingParallelStreamTakesAtMostOneValueBeyondThoseItConsumes(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(3_000);
        for (int i = 0; i < 3_000; i++) {
            ch.send(i);
        }
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> assertThat(ch.stream().parallel().filter(v -> v == 4).findFirst()).contains(4));
        }
        assertThat(ch.len()).isEqualTo(3_000 - 5);
        assertThat(ch.receive()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I6_anInterruptedIteratorNamesTheOperationAndTheChannel(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make();
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                assertThatThrownBy(() -> ch.iterator().hasNext())
                        .isInstanceOf(ChannelInterruptedException.class)
                        .hasCauseInstanceOf(InterruptedException.class)
                        .hasMessageContaining("Iterator.hasNext()")
                        .hasMessageContaining(ch.toString().substring(0, ch.toString().indexOf(',')));
                assertThat(Thread.interrupted()).isTrue();
            });
            Threads.awaitReceivers(ch, 1);
            t.interrupt();
        }
        try (Threads threads = new Threads(kind)) {
            Thread t = threads.start(() -> {
                assertThatThrownBy(() -> ch.receiveOnly().iterator().next())
                        .isInstanceOf(ChannelInterruptedException.class)
                        .hasMessageContaining("Iterator.next()")
                        .hasMessageContaining("Chan(cap=");
                assertThat(Thread.interrupted()).isTrue();
            });
            Threads.awaitReceivers(ch, 1);
            t.interrupt();
        }
        assertThat(Threads.waiters(ch)).isZero();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void I6_anInterruptedStreamNamesTheOperationAndTheChannel(Kind kind) throws Exception {
        Chan<Integer> ch = Chan.make(4);
        for (boolean parallel : new boolean[] {false, true}) {
            try (Threads threads = new Threads(kind)) {
                Thread t = threads.start(() -> {
                    Stream<Integer> s = ch.receiveOnly().stream();
                    assertThatThrownBy(() -> (parallel ? s.parallel() : s).count())
                            .isInstanceOf(ChannelInterruptedException.class)
                            .hasCauseInstanceOf(InterruptedException.class)
                            .hasMessageContaining("stream()")
                            .hasMessageContaining("Chan(cap=");
                    assertThat(Thread.interrupted()).isTrue();
                });
                Threads.awaitReceivers(ch, 1);
                t.interrupt();
            }
        }
        assertThat(Threads.waiters(ch)).isZero();
    }
}
