package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;

import io.gochan.Threads.Kind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OV1 and OV3 under contention: many senders on a drop-oldest, drop-latest or conflated channel,
 * receivers draining it, and a close racing the sends. Every value is received exactly once, or
 * reported dropped exactly once, or refused by the close (its send threw); never two of these.
 */
class OverflowConservationTest {
    private static final int SENDERS = 4;
    private static final int RECEIVERS = 2;
    private static final int PER_SENDER = 5_000;

    static List<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            list.add(Arguments.of("conflated", kind));
            list.add(Arguments.of("dropOldest4", kind));
            list.add(Arguments.of("dropLatest4", kind));
        }
        return list;
    }

    private static Chan<Integer> make(String shape, Consumer<Integer> onDrop) {
        return switch (shape) {
            case "conflated" -> Chan.conflated(onDrop);
            case "dropOldest4" -> Chan.make(4, OverflowPolicy.DROP_OLDEST, onDrop);
            case "dropLatest4" -> Chan.make(4, OverflowPolicy.DROP_LATEST, onDrop);
            default -> throw new IllegalArgumentException(shape);
        };
    }

    @ParameterizedTest(name = "{0} on {1} threads")
    @MethodSource("cases")
    void OV3_everyValueIsReceivedOrDroppedOrRefusedExactlyOnce(String shape, Kind kind) throws Exception {
        ConcurrentLinkedQueue<Integer> dropped = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> refused = new ConcurrentLinkedQueue<>();
        Chan<Integer> ch = make(shape, dropped::add);
        try (Threads threads = new Threads(kind)) {
            for (int r = 0; r < RECEIVERS; r++) {
                threads.start(() -> ch.range(received::add));
            }
            for (int s = 0; s < SENDERS; s++) {
                int base = s * PER_SENDER;
                boolean first = s == 0;
                threads.start(() -> {
                    for (int i = 0; i < PER_SENDER; i++) {
                        if (first && i == PER_SENDER / 2) {
                            ch.close(); // races the other senders, and the receivers draining
                        }
                        int v = base + i;
                        try {
                            if ((i & 1) == 0) {
                                ch.send(v);
                            } else {
                                assertThat(ch.trySend(v)).isTrue();
                            }
                        } catch (ChannelClosedException e) {
                            refused.add(v); // not sent: the value stays the sender's
                        }
                    }
                });
            }
        }
        List<Integer> all = new ArrayList<>(received);
        all.addAll(dropped);
        all.addAll(refused);
        Set<Integer> distinct = new HashSet<>(all);
        assertThat(all).as("no value counted twice").hasSize(distinct.size());
        assertThat(distinct).as("no value lost").hasSize(SENDERS * PER_SENDER);
        assertThat(refused).as("the closing sender's later values are refused").hasSizeGreaterThanOrEqualTo(PER_SENDER / 2);
    }
}
