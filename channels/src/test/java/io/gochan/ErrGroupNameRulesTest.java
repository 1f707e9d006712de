package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gochan.Threads.Kind;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Rule EG6 (docs/spec/context-timers.md): an error group's goroutines carry the names given, from both thread kinds. */
@ExtendWith(NoNewGoroutines.class)
class ErrGroupNameRulesTest {
    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG6_goAndTryGoNameTheGoroutine(Kind kind) throws Exception {
        ConcurrentLinkedQueue<String> threadNames = new ConcurrentLinkedQueue<>();
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                Chan<String> release = Chan.make();
                try (ErrGroup g = ErrGroup.create()) {
                    g.go("fetch-users", () -> {
                        threadNames.add(Thread.currentThread().getName());
                        release.receive();
                    });
                    assertThat(g.tryGo("fetch-orders", () -> {
                        threadNames.add(Thread.currentThread().getName());
                        release.receive();
                    })).isTrue();
                    Threads.awaitTrue(() -> Goroutines.live().stream().map(Goroutine::name)
                            .filter(n -> n.equals("fetch-users") || n.equals("fetch-orders")).count() == 2,
                            "both named goroutines listed as live");
                    release.send("a");
                    release.send("b");
                    g.await();
                }
            });
        }
        assertThat(threadNames).containsExactlyInAnyOrder("fetch-users", "fetch-orders");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void EG6_aNullNameStartsNothing(Kind kind) throws Exception {
        try (Threads threads = new Threads(kind)) {
            threads.start(() -> {
                try (ErrGroup g = ErrGroup.create()) {
                    Task never = () -> {
                        throw new AssertionError("must not start");
                    };
                    assertThatThrownBy(() -> g.go(null, never)).isInstanceOf(NullPointerException.class);
                    assertThatThrownBy(() -> g.tryGo(null, never)).isInstanceOf(NullPointerException.class);
                    g.setLimit(1); // only allowed while none runs: proves nothing started
                    g.await();
                }
            });
        }
    }
}
