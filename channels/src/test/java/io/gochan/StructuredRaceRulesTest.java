package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Wait groups and error groups used as Go programs use them (rules G4, EG1, EG2, EG3 of
 * docs/spec/context-timers.md): reuse over many rounds, goroutines that start more goroutines while
 * Wait is blocked, a failure deep in such a tree.
 */
@ExtendWith(NoNewGoroutines.class)
class StructuredRaceRulesTest {
    static final Duration LONG = Duration.ofSeconds(30);

    /**
     * Go: a WaitGroup may be reused once every Wait of the previous round has returned; each round
     * releases every waiter, and a bad Add never changes the counter.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void G4_aWaitGroupIsReusableAndReleasesEveryWaiter(Kind kind) throws Exception {
        WaitGroup wg = new WaitGroup();
        for (int round = 0; round < 50; round++) {
            wg.add(3);
            AtomicInteger released = new AtomicInteger();
            CountDownLatch waiting = new CountDownLatch(3);
            try (Threads threads = new Threads(kind)) {
                for (int i = 0; i < 3; i++) {
                    threads.start(() -> {
                        waiting.countDown();
                        wg.await();
                        released.incrementAndGet();
                    });
                }
                waiting.await();
                try (Threads workers = new Threads(kind)) {
                    for (int i = 0; i < 3; i++) {
                        workers.start(wg::done);
                    }
                }
            }
            assertThat(released.get()).isEqualTo(3);
            assertThat(wg.count()).isZero();
            assertThatThrownBy(() -> wg.add(Integer.MIN_VALUE)).isInstanceOf(IllegalStateException.class);
            assertThat(wg.count()).isZero();
        }
        wg.add(Integer.MAX_VALUE);
        wg.add(Integer.MAX_VALUE);
        assertThat(wg.count()).isEqualTo(2L * Integer.MAX_VALUE);
        wg.add(Integer.MIN_VALUE + 1);
        wg.add(Integer.MIN_VALUE + 1);
        assertThat(wg.count()).isZero();
    }

    /**
     * Go: goroutines of a group may start more goroutines of the group while Wait is blocked; Wait
     * returns after all of them, with the first failure, which cancelled the group's context.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG1_EG2_EG3_goroutinesStartingGoroutinesAreAllAwaited(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                AtomicInteger ran = new AtomicInteger();
                IllegalStateException boom = new IllegalStateException("leaf 37");
                ErrGroup g = ErrGroup.create();
                Context ctx = g.context();
                class Node {
                    void spawn(int id) throws InterruptedException {
                        g.go(() -> {
                            ran.incrementAndGet();
                            if (id < 64) {
                                spawn(2 * id);
                                spawn(2 * id + 1);
                            } else if (id == 64 + 37) {
                                throw boom;
                            }
                        });
                    }
                }
                new Node().spawn(1);
                assertThatThrownBy(g::await).isSameAs(boom);
                assertThat(ran.get()).isEqualTo(127);
                assertThat(ctx.cause()).isSameAs(boom);
                g.close();
            });
        }
    }
}
