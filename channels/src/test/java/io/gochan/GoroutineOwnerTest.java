package io.gochan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Rules LK1 and LK2: which owner a goroutine belongs to, and what closing an owner does. */
class GoroutineOwnerTest {

    @Test
    void LK1_ownerGoAttributesTheGoroutineAndEverythingItStarts() throws Exception {
        try (GoroutineOwner owner = Goroutines.owner("pool")) {
            Chan<Goroutine> child = Chan.make(1);
            Goroutine parent = owner.go("parent", () -> child.send(Go.go("child", () -> { })));
            Goroutine c = child.receive();
            assertThat(parent.owner()).containsSame(owner);
            assertThat(c.owner()).containsSame(owner);
            assertThat(parent.join(Duration.ofSeconds(20))).isTrue();
            assertThat(c.join(Duration.ofSeconds(20))).isTrue();
        }
    }

    @Test
    void LK1_enteredOwnerAttributesGoroutinesOfThisThreadAndOfThreadsItCreates() throws Exception {
        GoroutineOwner owner = Goroutines.owner("entered");
        GoroutineOwner other = Goroutines.owner("other");
        Goroutine direct;
        Goroutine fromRawThread;
        Goroutine fromExecutor;
        try (GoroutineOwner.Scope s = owner.enter()) {
            direct = Go.go(() -> { });
            CompletableFuture<Goroutine> viaThread = new CompletableFuture<>();
            Thread raw = Thread.ofVirtual().start(() -> viaThread.complete(Go.go(() -> { })));
            fromRawThread = viaThread.get();
            raw.join();
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                fromExecutor = ex.submit(() -> Go.go(() -> { })).get();
            }
            try (GoroutineOwner.Scope inner = other.enter()) {
                assertThat(Go.go(() -> { }).owner()).containsSame(other);
            }
            assertThat(Go.go(() -> { }).owner()).as("the previous owner is restored").containsSame(owner);
        }
        assertThat(direct.owner()).containsSame(owner);
        assertThat(fromRawThread.owner()).containsSame(owner);
        assertThat(fromExecutor.owner()).containsSame(owner);
        assertThat(Go.go(() -> { }).owner()).as("outside the scope").isEmpty();
        for (Goroutine g : owner.live()) {
            assertThat(g.join(Duration.ofSeconds(20))).isTrue();
        }
    }

    @Test
    void LK1_aScopeIsClosedOnTheThreadThatEnteredIt() throws Exception {
        GoroutineOwner owner = Goroutines.owner("wrong-thread");
        GoroutineOwner.Scope s = owner.enter();
        try {
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    s.close();
                    failure.complete(null);
                } catch (Throwable t) {
                    failure.complete(t);
                }
            }).join();
            assertThat(failure.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("entered");
        } finally {
            s.close();
        }
        assertThat(Go.go(() -> { }).owner()).isEmpty();
    }

    @Test
    void LK2_closeRecordsWhereItWasCreatedAndClosedAndNeitherInterruptsNorWaits() throws Exception {
        GoroutineOwner test = Goroutines.owner("test");
        GoroutineOwner pool;
        Chan<Integer> release = Chan.make();
        Goroutine worker;
        try (GoroutineOwner.Scope s = test.enter()) {
            pool = Goroutines.owner("pool");
            worker = pool.go("worker", release::receive);
            pool.close();
            pool.close(); // idempotent
        }
        assertThat(pool.isOpen()).isFalse();
        assertThat(pool.createdIn()).containsSame(test);
        assertThat(pool.closedIn()).containsSame(test);
        assertThat(worker.isAlive()).as("close does not end or interrupt its goroutines").isTrue();
        assertThat(Goroutines.dump()).contains("owned by \"pool\" (closed)");
        release.send(1);
        assertThat(worker.join(Duration.ofSeconds(20))).isTrue();
        assertThat(Goroutines.owner("x").toString()).contains("x");
        assertThatThrownBy(() -> Goroutines.owner(null)).isInstanceOf(NullPointerException.class);
    }
}
